"""What runs on the Ray workers: the job and shard payloads that travel there, the request cache
as a worker sees it (the run dir's segment store, :mod:`mmrecipe.segments`: the worker writes
its own segments and reads everyone's, no answer passes through the driver), and the task function and actor class that run a part of a phase with the local
executor's own shard unit. Apart from the driver (``ray.py``) so that a worker imports only this."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmrecipe.context import OpContext
from mmrecipe.executor.local import LocalExecutor
from mmrecipe.executor.progress import ProgressView
from mmrecipe.executor.shards import read_stage, start_shard
from mmrecipe.ops.base import Op
from mmrecipe.recipe import Recipe
from mmrecipe.rundir import RunDir
from mmrecipe.sample import Sample
from mmrecipe.segments import SegmentCache


@dataclass(frozen=True)
class WorkerJob:
    """Everything a worker needs to plan the same recipe (picklable)."""

    recipe: Recipe
    run_dir: str
    limit: int | None
    use_cache: bool
    #: unique per run: a worker process's set-up ops belong to one run
    token: str


@dataclass
class ShardSource:
    """A shard's input as it travels: a source op's index range, a stage file, or samples."""

    span: tuple[int, int] | None = None
    path: str | None = None
    samples: list[Sample] | None = None


@dataclass(frozen=True)
class Part:
    """A run of a phase's steps that runs in one place: Ray tasks or actors, and what each one
    needs. A phase has one part, or two when CPU steps come before its first model step."""

    phase: int
    start: int
    stop: int
    first: bool
    last: bool
    actors: bool
    num_cpus: float
    num_gpus: float


class PhaseWorker:
    """One part of a phase, set up in a worker process: plans the same recipe as the driver and
    runs shards through the local executor's unit (``process_shard``, or its pieces
    ``start_shard`` / ``_run_steps`` / ``finish_shard`` when the phase is split in two)."""

    def __init__(self, job: WorkerJob, part: Part, fitted: Op | None) -> None:
        self.executor = LocalExecutor(
            job.recipe,
            Path(job.run_dir),
            limit=job.limit,
            use_cache=job.use_cache,
            progress=ProgressView(quiet=True),
        )
        self.part = part
        self.phase = self.executor.phases[part.phase]
        if fitted is not None:
            assert self.phase.barrier is not None
            self.phase.barrier.op = fitted  # the same Step object is phase.steps[0]
        self.steps = self.phase.steps[part.start : part.stop]
        # this process's own segments, sealed after each shard; lookups read every segment
        self.cache = SegmentCache(RunDir(Path(job.run_dir)).state / "cache")
        self.ctx = OpContext(
            run_dir=Path(job.run_dir),
            state=self.cache,  # type: ignore[arg-type]  # duck-typed: cache_get_many/cache_put
            backend_specs=dict(job.recipe.backends),
            use_cache=job.use_cache,
        )
        source = self.executor.source if part.phase == 0 and part.first else None
        self.ops: list[Op] = ([source] if source else []) + [s.op for s in self.steps]
        for op in self.ops:
            op.setup(self.ctx)
        self.executor.pipeline_io = not self.ctx.has_in_process_backend()

    def load(self, shard_source: ShardSource) -> list[Sample]:
        if shard_source.span is not None:
            assert self.executor.source is not None
            return self.executor.source.generate(*shard_source.span)
        if shard_source.path is not None:
            return read_stage(Path(shard_source.path))
        return shard_source.samples or []

    async def run(self, shard: int, payload: Any) -> Any:
        """A ``ShardSource`` in for the first part, a ``ShardWork`` for the second; the
        ``ShardOutcome`` out of the last part (its files written), a ``ShardWork`` otherwise.
        The answers paid for are sealed into this process's segment before returning."""
        if self.part.first:
            samples = await asyncio.to_thread(self.load, payload)
            if self.part.last:  # the whole phase here: the local executor's unit as is
                outcome = await self.executor.process_shard(self.phase, shard, samples)
                await asyncio.to_thread(self.cache.seal)
                return outcome
            work = start_shard(self.phase, samples)
        else:
            work = payload
        work.samples = await self.executor._run_steps(
            self.steps, work.samples, work.stats, work.rejects
        )
        await asyncio.to_thread(self.cache.seal)
        if self.part.last:
            return await self.executor.finish_shard(self.phase, shard, work)
        return work

    async def close(self) -> None:
        await self.ctx.aclose()
        for op in self.ops:
            op.teardown()
        self.cache.close()


#: (run token, phase, first step) -> the set-up part this worker process last served (tasks)
_TASK_WORKERS: dict[tuple[str, int, int], PhaseWorker] = {}


def run_part_task(
    job: WorkerJob, part: Part, fitted_box: list[Any], shard: int, payload: Any
) -> Any:
    """A Ray task: one shard through a part without model calls. The set-up ops stay in the
    worker process for the next shard of the same run (the barrier arrives boxed so that its
    object is fetched once per process, not once per task)."""
    key = (job.token, part.phase, part.start)
    worker = _TASK_WORKERS.get(key)
    if worker is None:
        import ray

        _TASK_WORKERS.clear()
        fitted = ray.get(fitted_box[0]) if fitted_box else None
        worker = PhaseWorker(job, part, fitted)
        _TASK_WORKERS[key] = worker
    return asyncio.run(worker.run(shard, payload))


class PhaseActor:
    """A Ray actor for a part with model calls: the ops (and their backends) are set up once, at
    the first shard, and serve every shard sent here, several at a time (an async actor). A
    restarted actor sets up again at its next shard (the job and the boxed barrier arrive with
    each call, so that nothing it needs lives only in its constructor's arguments)."""

    def __init__(self, part: Part, threads: int) -> None:
        self._part = part
        self._threads = threads
        self._worker: PhaseWorker | None = None
        self._lock: asyncio.Lock | None = None

    async def _setup(self, job: WorkerJob, fitted_box: list[Any]) -> PhaseWorker:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._worker is None:
                asyncio.get_running_loop().set_default_executor(
                    ThreadPoolExecutor(max_workers=self._threads)
                )
                fitted = await fitted_box[0] if fitted_box else None
                # setup may block (an engine loading, a server probed): off the event loop
                self._worker = await asyncio.to_thread(PhaseWorker, job, self._part, fitted)
        return self._worker

    async def prepare(self, job: WorkerJob, fitted_box: list[Any]) -> None:
        """Set up now (load the engine, probe the servers) while the first shards are still in
        the CPU tasks before this part; an error is raised again with the first shard."""
        try:
            await self._setup(job, fitted_box)
        except Exception:
            pass

    async def run(self, job: WorkerJob, fitted_box: list[Any], shard: int, payload: Any) -> Any:
        worker = self._worker or await self._setup(job, fitted_box)
        return await worker.run(shard, payload)

    async def close(self) -> None:
        if self._worker is not None:
            await self._worker.close()
