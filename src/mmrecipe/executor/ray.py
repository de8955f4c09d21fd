"""The Ray executor: the same recipe, ops, run-dir layout and outputs as the local executor, on a
Ray cluster (``executor: {type: ray}``, ``mmrecipe run --executor ray``).

One executor, two small adapters. ``RayExecutor`` *is* the local executor (planning, phases,
barrier ``fit``, resume and the fingerprint check, the shard loop with ``shards_in_flight``,
recording and stats are all inherited); it overrides only *where a shard runs*
(``_run_shard``) and *which ops the driver sets up* (``_driver_ops``). On a worker, a
``PhaseWorker`` plans the same recipe and calls the same unit of work,
``LocalExecutor.process_shard`` (the steps over one shard, its files written atomically, its
stats returned), or its pieces when the shard moves from CPU tasks to a model actor. So a Ray run writes byte-identical ``data/`` and ``rejects/`` for a
deterministic recipe, and any later change to shard processing applies to both executors.

Why shards as Ray tasks and actors (datatrove's ``run(rank, world_size)`` idea) and not a Ray
Data pipeline: the shard is already our unit of atomic output, resume and retry, with a
deterministic name; Ray Data's blocks are not (their boundaries depend on the streaming
executor's timing), so outputs would not be byte-identical to a local run, and completion
markers, rejects and a resumable run dir would have to be rebuilt on top of it. A shard stays
in at most two worker processes (its CPU part, its model part), so a sample crosses the network
a few times per phase, not once per op.

* CPU steps (a phase without model calls, or the steps before a phase's first model step:
  reading, intake, synthesis) run each shard as a **Ray task** on any node, sized by the ops'
  declared ``resources`` (``num_cpus``, default 1); a worker process keeps the set-up ops for
  the next task of the same run (setup once per worker process, not per shard).
* From a phase's first model step on, the shard goes to one of a pool of **actors**
  (``executor.actors``, default one per shard in flight, capped by the cluster) that set up the
  ops once and keep their backends across shards: an HTTP client keeps its connection pool and
  has many requests in flight (the actor is async, so its shards' requests overlap up to the
  backend's ``concurrency``, which is *per actor*); an in-process engine (vLLM, transformers on
  ``cuda``) loads once on a GPU actor (``num_gpus`` = the backend's ``tensor_parallel_size``).
  Cheap CPU steps between model steps (gates, parsers) stay on the actor: a hop per step would
  cost more than they do. Why not ``ray.data.llm``: ``build_processor(vLLMEngineProcessorConfig(
  model_source=..., engine_kwargs=..., concurrency=...), preprocess=..., postprocess=...)`` gives
  a ``Processor`` that maps a ``ray.data.Dataset`` to another, its engine replicas living in a
  Ray Data ``map_batches`` stage. Rows could carry our hook prompts (no chat template) and
  per-row ``sampling_params``, but the processor consumes a Dataset, which is the pipeline
  shape rejected above; calling it per shard would start engine replicas per shard, and its
  answers would bypass the request cache the shard's op reads them through. So a GPU actor runs
  our ``vllm`` backend (``vllm.LLM``) in process, once per actor, behind the same op code.
* A **barrier** (dedup) is fitted on the driver over the whole previous phase's output (the
  stage files on shared storage), then shipped once (``ray.put``) to the workers that apply it.
* **State**: only the driver writes ``state/state.sqlite``. A worker returns the shard's stats
  and the model answers it paid for; the driver stores those, then marks the shard finished
  (after its files were renamed into place on the worker). Cache lookups go to a read-only
  reader actor pinned to the driver's node (sqlite's WAL does not work over network storage).
* **Faults**: a task whose worker dies is retried by Ray (``max_retries``), an actor that dies is
  restarted (setup again) and its shards retried (``max_task_retries``); a retried shard
  rewrites the same files under the same names, so there are no duplicates. A shard whose
  worker dies more than ``MAX_RETRIES`` times stops the run with one line (``WorkerLost``). A
  killed driver takes its tasks and actors with it; rerunning the same command resumes from the
  state store.
* **Storage**: the run dir (and the input) must be on storage every node mounts at the same
  path (NFS, Lustre, a bucket mount). This is checked at start: every alive node reads a probe
  file the driver wrote and writes one back; a node that cannot gives a one-line error.

Measured on this machine (2 shared cores, load ~9, so ratios vary between runs;
``benchmarks/ray_overhead.py``): ``import ray`` 0.4-1.1 s, ``ray.init(num_cpus=2)`` 4-14 s; a
no-op task 2-4 ms round trip (~1 ms each when many are in flight); the Ray executor adds ~9 ms
per shard over the local one (200 shards of 10 trivial samples). Samples/s as a share of the
local executor's: synthesis (CPU-bound) 0.80-1.23 over four runs (worker processes instead of
GIL-bound threads, against process start-up and transfers); Oasis against servers answering
after 100 ms at equal concurrency (64, one model actor): 0.86 with 1000 images, 0.89 with 2000
(the actor's start-up is amortized over more shards).

A 100-node run of 1B images, from those numbers: at ``shard_size: 10000`` one phase is 100k
shards (a dedup barrier makes two phases: 200k tasks). Their scheduling costs ~9 ms each, ~15
driver-minutes per phase against days of model time, so shards could be smaller (1000: 1M
tasks, ~2.5 driver-hours spread over the run) to lose less on a fault. Each shard sends ~10000 sample
references (~3 MB) out and a few kB of stats back; the state store holds a row per shard (~1 kB:
~100-200 MB). What does not scale is the request cache: Oasis asks ~7 model requests per image,
so 7B answers (~1 kB each, ~7 TB) would all pass through the driver's one sqlite writer (and
their lookups through one reader), at some 10-50k inserts/s that is 2-8 days of driver time,
longer than the run. At that scale run with
``--no-cache`` (resume then redoes only the shards in flight, which is the cache's main use), or
give each node its own cache; the driver otherwise only streams the reader (listing 1B files is
its other serial job: give it a manifest in JSONL/Parquet instead of a folder) and keeps at most
``shards_in_flight`` shards (about 2x the cluster's worker slots: 1600 for 100 nodes of 8) in
memory.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError, MMRecipeError
from mmrecipe.executor.local import (
    LocalExecutor,
    PendingShard,
    Phase,
    RunResult,
    ShardOutcome,
    Step,
    _read_stage,
    start_shard,
)
from mmrecipe.executor.progress import ProgressView
from mmrecipe.ops.base import Op
from mmrecipe.recipe import Recipe
from mmrecipe.rundir import RunDir
from mmrecipe.sample import Sample
from mmrecipe.state import StateStore

INSTALL_HINT = "pip install 'mmrecipe[ray]'"
#: retries of a shard whose worker process or node died (Ray's own retry, not for op errors)
MAX_RETRIES = 3


class WorkerLost(MMRecipeError):
    """A shard's worker kept dying (a node lost, out of memory) after Ray's retries."""


def import_ray() -> Any:
    """Ray, or one readable line saying how to get it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"the ray executor needs Ray, which is not installed: {INSTALL_HINT}"
        ) from None
    return ray


# --------------------------------------------------------------------------------------------
# what travels to the workers


@dataclass(frozen=True)
class WorkerJob:
    """Everything a worker needs to plan the same recipe (picklable)."""

    recipe: Recipe
    run_dir: str
    limit: int | None
    use_cache: bool
    #: unique per run: a worker process's set-up ops belong to one run
    token: str
    #: the read-only request-cache reader actor (None with --no-cache)
    cache_reader: Any = None


@dataclass
class ShardSource:
    """A shard's input as it travels: a source op's index range, a stage file, or samples."""

    span: tuple[int, int] | None = None
    path: str | None = None
    samples: list[Sample] | None = None


class WorkerCache:
    """The request cache as a worker sees it (``CachedBackend`` calls it like the state store):
    lookups ask the driver-side reader actor, new answers are buffered here and handed back with
    the shard so that only the driver writes sqlite."""

    def __init__(self, reader: Any, path: Path) -> None:
        self._reader = reader
        #: where the state store lives (shared storage): large answers are files beside it
        self.path = path
        self._lock = threading.Lock()
        self._fresh: dict[str, str] = {}
        self._new: list[tuple[str, str]] = []

    def cache_get(self, key: str) -> str | None:
        return self.cache_get_many([key])[0]

    def cache_get_many(self, keys: list[str]) -> list[str | None]:
        with self._lock:
            out = [self._fresh.get(k) for k in keys]
        missing = [i for i, v in enumerate(out) if v is None]
        if missing and self._reader is not None:
            import ray

            found = ray.get(self._reader.get_many.remote([keys[i] for i in missing]))
            for i, value in zip(missing, found, strict=True):
                out[i] = value
        return out

    def cache_put(self, key: str, value: str) -> None:
        with self._lock:
            if len(self._fresh) > 100_000:
                self._fresh.clear()
            self._fresh[key] = value
            self._new.append((key, value))

    def drain(self) -> list[tuple[str, str]]:
        """The answers paid for since the last call (the driver stores them)."""
        with self._lock:
            new, self._new = self._new, []
        return new


class CacheReader:
    """Reads the driver's request cache (read-only sqlite on the driver's node)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def get_many(self, keys: list[str]) -> list[str | None]:
        if self._conn is None:
            uri = Path(self.path).absolute().as_uri() + "?mode=ro"  # as_uri escapes ?, #, %
            self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        out: list[str | None] = []
        for key in keys:
            row = self._conn.execute(
                "SELECT value FROM request_cache WHERE key=?", (key,)
            ).fetchone()
            out.append(row[0] if row else None)
        return out


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
        self.cache = WorkerCache(job.cache_reader, RunDir(Path(job.run_dir)).state_db)
        self.ctx = OpContext(
            run_dir=Path(job.run_dir),
            state=self.cache,  # type: ignore[arg-type]  # duck-typed: cache_get/cache_put
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
            return _read_stage(Path(shard_source.path))
        return shard_source.samples or []

    async def run(self, shard: int, payload: Any) -> tuple[Any, list[tuple[str, str]]]:
        """A ``ShardSource`` in for the first part, a ``ShardWork`` for the second; the
        ``ShardOutcome`` out of the last part (its files written), a ``ShardWork`` otherwise;
        with the model answers paid for since the last call."""
        if self.part.first:
            samples = await asyncio.to_thread(self.load, payload)
            if self.part.last:  # the whole phase here: the local executor's unit as is
                outcome = await self.executor.process_shard(self.phase, shard, samples)
                return outcome, self.cache.drain()
            work = start_shard(self.phase, samples)
        else:
            work = payload
        work.samples = await self.executor._run_steps(
            self.steps, work.samples, work.stats, work.rejects
        )
        if self.part.last:
            return await self.executor.finish_shard(self.phase, shard, work), self.cache.drain()
        return work, self.cache.drain()

    async def close(self) -> None:
        await self.ctx.aclose()
        for op in self.ops:
            op.teardown()


#: (run token, phase, first step) -> the set-up part this worker process last served (tasks)
_TASK_WORKERS: dict[tuple[str, int, int], PhaseWorker] = {}


def run_part_task(
    job: WorkerJob, part: Part, fitted_box: list[Any], shard: int, payload: Any
) -> tuple[Any, list[tuple[str, str]]]:
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

    async def run(
        self, job: WorkerJob, fitted_box: list[Any], shard: int, payload: Any
    ) -> tuple[Any, list[tuple[str, str]]]:
        worker = self._worker or await self._setup(job, fitted_box)
        return await worker.run(shard, payload)

    async def close(self) -> None:
        if self._worker is not None:
            await self._worker.close()


def probe_storage(probe: str, token: str, reply: str) -> str | None:
    """On one node: read the driver's probe file, write a reply; None when both work."""
    import socket

    try:
        seen = Path(probe).read_text(encoding="utf-8")
    except OSError as exc:
        return f"{socket.gethostname()}: cannot read {probe}: {exc.strerror or exc}"
    if seen != token:
        return f"{socket.gethostname()}: {probe} holds another file (a different disk at that path)"
    try:
        Path(reply).write_text(token, encoding="utf-8")
    except OSError as exc:
        return (
            f"{socket.gethostname()}: cannot write into {Path(reply).parent}: {exc.strerror or exc}"
        )
    return None


def check_shared_storage(ray: Any, root: Path, timeout_s: float = 120.0) -> None:
    """Every alive node must see the run dir at the same path, reading and writing."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    token = uuid.uuid4().hex
    probe = root / "state" / f".probe-{token}"
    probe.write_text(token, encoding="utf-8")
    task = ray.remote(probe_storage)
    replies: list[Path] = []
    try:
        pending = []
        for node in ray.nodes():
            if not node.get("Alive"):
                continue
            reply = root / "state" / f".probe-{token}-{node['NodeID'][:12]}"
            replies.append(reply)
            strategy = NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False)
            ref = task.options(num_cpus=0, scheduling_strategy=strategy, max_retries=0).remote(
                str(probe), token, str(reply)
            )
            pending.append((node.get("NodeManagerAddress", node["NodeID"]), reply, ref))
        for address, reply, ref in pending:
            error = ray.get(ref, timeout=timeout_s)
            if error is None and not reply.exists():
                error = f"its writes into {reply.parent} do not reach the driver"
            if error is not None:
                raise ConfigError(
                    f"the run dir {root} is not shared with Ray node {address} ({error}): put it "
                    "on storage every node mounts at the same path (NFS, Lustre, a bucket mount)"
                )
    finally:
        probe.unlink(missing_ok=True)
        for reply in replies:
            reply.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# placement


def _backend_gpus(spec: dict[str, Any]) -> float:
    kind = spec.get("type")
    if kind == "vllm":
        return float(spec.get("tensor_parallel_size", 1))
    if kind == "transformers" and str(spec.get("device", "")).startswith("cuda"):
        return 1.0
    return 0.0


def _backend_of(step: Step) -> str | None:
    name = step.spec.params.get("backend")
    return name if isinstance(name, str) else None


def plan_parts(recipe: Recipe, phase: Phase, source: Op | None) -> list[Part]:
    """Where a phase's steps run. CPU steps before the first model step (reading, intake,
    synthesis: the heavy input side) run as tasks on any node; from the first model step (an
    I/O-bound op, or one naming a backend) on, the shard stays on a model actor: the gates and
    parsers between model calls are cheap, a hop per step would cost more than they do.
    Resources are the largest any op of the part declares, plus the GPUs of in-process engines."""
    steps = phase.steps
    model_at = next(
        (i for i, s in enumerate(steps) if s.op.io_bound or _backend_of(s) is not None), None
    )
    cuts = [(0, len(steps))] if model_at in (None, 0) else [(0, model_at), (model_at, len(steps))]
    parts = []
    for start, stop in cuts:
        ops: list[Op] = [s.op for s in steps[start:stop]]
        if source is not None and phase.index == 0 and start == 0:
            ops.insert(0, source)
        backends = {b for s in steps[start:stop] if (b := _backend_of(s)) is not None}
        parts.append(
            Part(
                phase=phase.index,
                start=start,
                stop=stop,
                first=start == 0,
                last=stop == len(steps),
                actors=model_at is not None and start == model_at,
                num_cpus=max([float(op.resources.get("num_cpus", 1.0)) for op in ops] or [1.0]),
                num_gpus=max(
                    [float(op.resources.get("num_gpus", 0.0)) for op in ops]
                    + [_backend_gpus(recipe.backends.get(b, {})) for b in backends]
                    + [0.0]
                ),
            )
        )
    return parts


class _TaskRunner:
    def __init__(self, ray: Any, job: WorkerJob, part: Part, box: list[Any]) -> None:
        self._fn = ray.remote(run_part_task).options(
            num_cpus=part.num_cpus,
            num_gpus=part.num_gpus,
            max_retries=MAX_RETRIES,
            scheduling_strategy="SPREAD",  # shards are big: use every node, not the nearest
        )
        self._args = (job, part, box)

    async def run(self, shard: int, payload: Any) -> Any:
        return await self._fn.remote(*self._args, shard, payload)

    async def close(self) -> None:
        """Tasks hold nothing between shards that the driver could free."""


class _ActorRunner:
    def __init__(
        self, ray: Any, job: WorkerJob, part: Part, box: list[Any], n: int, threads: int
    ) -> None:
        cls = ray.remote(PhaseActor).options(
            num_cpus=part.num_cpus,
            num_gpus=part.num_gpus,
            max_restarts=MAX_RETRIES,
            max_task_retries=MAX_RETRIES,
            scheduling_strategy="SPREAD",  # one engine per node before two on one
        )
        self._ray = ray
        self._job = job
        self._box = box
        self.actors = [cls.remote(part, threads) for _ in range(n)]
        self._prepared = [actor.prepare.remote(job, box) for actor in self.actors]
        self._load = [0] * n

    async def run(self, shard: int, payload: Any) -> Any:
        i = min(range(len(self.actors)), key=self._load.__getitem__)
        self._load[i] += 1
        try:
            return await self.actors[i].run.remote(self._job, self._box, shard, payload)
        finally:
            self._load[i] -= 1

    async def close(self) -> None:
        for actor in self.actors:
            try:
                await actor.close.remote()
            except Exception:  # a dead actor has nothing left to close
                pass
            self._ray.kill(actor)


# --------------------------------------------------------------------------------------------
# the driver


class RayExecutor(LocalExecutor):
    """Runs a recipe on a Ray cluster; the run dir must be on storage every node sees."""

    def __init__(
        self,
        recipe: Recipe,
        run_dir: Path,
        *,
        address: str | None = None,
        limit: int | None = None,
        use_cache: bool = True,
        quiet: bool = False,
        progress: ProgressView | None = None,
    ) -> None:
        self._ray = import_ray()
        # workers do not share the driver's working directory: every path is absolute
        super().__init__(
            recipe,
            Path(run_dir).absolute(),
            limit=limit,
            use_cache=use_cache,
            quiet=quiet,
            progress=progress,
        )
        self.address = address or recipe.executor.address or os.environ.get("RAY_ADDRESS")
        self._runners: dict[int, list[_TaskRunner | _ActorRunner]] = {}
        self._job: WorkerJob | None = None
        self._state: StateStore | None = None

    def _driver_ops(self) -> list[Op]:
        """The driver sets up only the source (to count) and the barriers (to ``fit``); every
        other op is set up on the workers."""
        barriers = [p.barrier.op for p in self.phases if p.barrier is not None]
        return ([self.source] if self.source else []) + barriers

    def run(self) -> RunResult:
        ray = self._ray
        started_here = False
        if not ray.is_initialized():
            ray.init(
                address=self.address or None,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
                runtime_env=_runtime_env(),
            )
            started_here = True
        try:
            self.layout.create()
            check_shared_storage(ray, self.layout.root)
            return super().run()
        finally:
            if started_here:
                ray.shutdown()

    async def _run_phases(self, state: StateStore, ctx: OpContext, result: RunResult) -> None:
        ray = self._ray
        self._state = state
        reader = None
        if self.use_cache:
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            here = ray.get_runtime_context().get_node_id()
            reader = (
                ray.remote(CacheReader)
                .options(
                    num_cpus=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=here, soft=False),
                )
                .remote(str(self.layout.state_db))
            )
        self._job = WorkerJob(
            recipe=self.recipe,
            run_dir=str(self.layout.root),
            limit=self.limit,
            use_cache=self.use_cache,
            token=uuid.uuid4().hex,
            cache_reader=reader,
        )
        try:
            await super()._run_phases(state, ctx, result)
        finally:
            await self._close_runners()
            if reader is not None:
                ray.kill(reader)

    async def _run_shard(self, phase: Phase, shard: int, pending: PendingShard) -> ShardOutcome:
        if pending.span is not None:
            shard_source = ShardSource(span=pending.span)
        elif pending.path is not None:
            shard_source = ShardSource(path=str(pending.path))
        else:  # samples read on the driver (references to images, not pixels)
            shard_source = ShardSource(samples=await asyncio.to_thread(pending.load))
        payload: Any = shard_source
        for runner in await self._runners_for(phase):  # one part, or CPU tasks then actors
            try:
                payload, answers = await runner.run(shard, payload)
            except self._ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, MMRecipeError):
                    raise cause from None
                raise
            except self._ray.exceptions.RayError as exc:  # the worker, not the op, failed
                raise WorkerLost(
                    f"shard {shard} of phase {phase.index + 1} lost its Ray worker after "
                    f"{MAX_RETRIES} retries ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                    "finished shards are kept: rerun the same command to resume"
                ) from exc
            if answers and self._state is not None:
                await asyncio.to_thread(_store_answers, self._state, answers)
        assert isinstance(payload, ShardOutcome)
        return payload

    async def _runners_for(self, phase: Phase) -> list[_TaskRunner | _ActorRunner]:
        runners = self._runners.get(phase.index)
        if runners is not None:
            return runners
        # an earlier phase's actors are done: free their CPUs/GPUs for this one
        for index in [i for i in self._runners if i < phase.index]:
            for old in self._runners.pop(index):
                await old.close()
        ray = self._ray
        assert self._job is not None
        parts = plan_parts(self.recipe, phase, self.source)
        for part in parts:
            self._check_fits(part)
        runners = []
        for part in parts:
            box: list[Any] = []
            if phase.barrier is not None and part.first:
                fitted = copy.copy(phase.barrier.op)
                fitted.ctx = None  # the driver's context (sqlite) stays here
                box = [ray.put(fitted)]
            if not part.actors:
                runners.append(_TaskRunner(ray, self._job, part, box))
                continue
            # leave room for one task of the phase's CPU part, if it has one
            reserved = parts[0].num_cpus if len(parts) > 1 else 0.0
            n = self._actor_count(part, reserved)
            threads = self.recipe.executor.cpu_threads or max(2, int(part.num_cpus))
            runners.append(_ActorRunner(ray, self._job, part, box, n, threads))
        self._runners[phase.index] = runners
        return runners

    def _check_fits(self, part: Part) -> None:
        """A task or actor bigger than every node would wait forever: say so instead."""
        nodes = [n.get("Resources", {}) for n in self._ray.nodes() if n.get("Alive")]
        if not any(
            r.get("CPU", 0) >= part.num_cpus and r.get("GPU", 0) >= part.num_gpus for r in nodes
        ):
            steps = self.phases[part.phase].steps[part.start : part.stop]
            names = ", ".join(s.name for s in steps) or "reading"
            raise ConfigError(
                f"steps {names} need {part.num_cpus:g} CPU and {part.num_gpus:g} GPU on one "
                "node (the ops' declared resources, the GPUs of in-process engines); no node of "
                "the Ray cluster has that much"
            )

    def _actor_count(self, part: Part, reserved_cpus: float) -> int:
        """``executor.actors`` (default: shards in flight), capped by what the cluster holds."""
        wanted = self.recipe.executor.actors or self.recipe.executor.shards_in_flight
        total = self._ray.cluster_resources()
        fits = wanted
        if part.num_cpus > 0:
            fits = min(fits, int((total.get("CPU", 0) - reserved_cpus) // part.num_cpus))
        if part.num_gpus > 0:
            fits = min(fits, int(total.get("GPU", 0) // part.num_gpus))
        if fits < 1:
            raise ConfigError(
                f"a model actor of this recipe needs {part.num_cpus:g} CPU and "
                f"{part.num_gpus:g} GPU (plus {reserved_cpus:g} CPU for the steps before it); "
                f"the Ray cluster has {total.get('CPU', 0):g} CPU and {total.get('GPU', 0):g} GPU"
            )
        return fits

    async def _close_runners(self) -> None:
        while self._runners:
            _, runners = self._runners.popitem()
            for runner in runners:
                await runner.close()


def _store_answers(state: StateStore, answers: list[tuple[str, str]]) -> None:
    for key, value in answers:
        state.cache_put(key, value)


def _runtime_env() -> dict[str, Any] | None:
    """Plugins named in the environment must load on the workers too."""
    plugins = os.environ.get("MMRECIPE_PLUGINS")
    return {"env_vars": {"MMRECIPE_PLUGINS": plugins}} if plugins else None
