"""The local executor: streams shards through the ops on one machine, resumably.

Data flow (datatrove's shape, with NeMo Curator's per-stage lifecycle):

* the input (a reader, or a source op) is cut into shards of ``shard_size`` samples in a
  deterministic order; at most ``shards_in_flight`` shards are in memory at once;
* each shard goes through the steps in order; CPU ops run in a thread pool, I/O-bound ops as
  coroutines with many requests in flight; a run of consecutive I/O-bound steps (model calls)
  is pipelined in chunks of ``io_chunk_size``, so no server idles at a step boundary;
* a barrier op (dedup, fit-then-apply) splits the recipe into phases: the phase before it writes
  its shards to ``state/stage-K/``, the barrier ``fit``s on all of them, and the next phase streams
  them on;
* every finished shard's files are written to temporary names, renamed into place, and only then
  recorded as finished in the state store: a crash loses at most the shards in flight, and a rerun
  into the same run dir skips finished shards, so it ends with no duplicates and nothing lost.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError, MMRecipeError
from mmrecipe.executor.planning import open_input, plan_phases
from mmrecipe.executor.progress import ProgressView, ShardTicker, current_shard
from mmrecipe.executor.run_stats import collect_stats, run_history
from mmrecipe.executor.shards import (
    OUTPUT_PREFIX,
    READ_STEP,
    WRITE_STEP,
    PendingShard,
    Phase,
    ShardOutcome,
    ShardWork,
    Step,
    generate_shard,
    read_stage,
    start_shard,
)
from mmrecipe.executor.steps import StepRunner
from mmrecipe.executor.writing import check_writable, reject_record, write_shard
from mmrecipe.io.snippets import write_snippets
from mmrecipe.ops.base import BarrierOp, Op, SourceOp
from mmrecipe.recipe import Recipe
from mmrecipe.resume import ShardInput, ShardPlan
from mmrecipe.rundir import RunDir
from mmrecipe.runlock import RunLock
from mmrecipe.sample import Sample
from mmrecipe.state import StateStore
from mmrecipe.stats import StepStats
from mmrecipe.writeerrors import output_errors

#: what other modules import from here, where it lived before the split (issue 25)
__all__ = [
    "OUTPUT_PREFIX",
    "READ_STEP",
    "WRITE_STEP",
    "LocalExecutor",
    "PendingShard",
    "Phase",
    "RunResult",
    "ShardOutcome",
    "ShardWork",
    "Step",
    "collect_stats",
    "reject_record",
    "run_history",
    "start_shard",
]


@dataclass
class RunResult:
    run_dir: Path
    stats: dict[str, Any]
    resumed_shards: int = 0
    processed_shards: int = 0
    messages: list[str] = field(default_factory=list)


class LocalExecutor(StepRunner):
    """Runs a recipe into a run dir on this machine."""

    def __init__(
        self,
        recipe: Recipe,
        run_dir: Path,
        *,
        limit: int | None = None,
        use_cache: bool = True,
        quiet: bool = False,
        progress: ProgressView | None = None,
    ) -> None:
        self.recipe = recipe
        self.layout = RunDir(run_dir)
        #: replace the outputs of a run dir another recipe (another ``name``) made
        self.force = False
        #: a start that fails before any shard removes the run dir it created
        self._created_dir = not Path(run_dir).exists()
        self._report_removed = False
        self.limit = limit
        self.use_cache = use_cache
        self.progress = progress or ProgressView(quiet=quiet)
        self.source: SourceOp | None = None
        #: pipeline consecutive I/O-bound steps in chunks (off with an in-process engine)
        self.pipeline_io = True
        self.phases = self._plan()

    # planning (executor/planning.py) --------------------------------------------------
    def _plan(self) -> list[Phase]:
        self.source, phases = plan_phases(self.recipe)
        return phases

    def all_steps(self) -> list[Step]:
        return [s for p in self.phases for s in p.steps]

    # running ----------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run the recipe into the run dir, holding its lock (a second run exits at once)."""
        try:
            with output_errors(self.layout.root):
                try:
                    with RunLock(self.layout.root):
                        return self._run_locked()
                finally:
                    self.progress.stop()
        except MMRecipeError:
            # nothing ran (an input or configuration error before any shard): leave nothing
            if self._created_dir and not self.layout.holds_outputs():
                shutil.rmtree(self.layout.root, ignore_errors=True)
            raise

    def _run_locked(self) -> RunResult:
        layout = self.layout
        layout.refuse_links()  # before anything is written: never through a planted link
        layout.create()
        state = StateStore(layout.state_db)
        ctx = OpContext(
            run_dir=layout.root,
            state=state,
            backend_specs=dict(self.recipe.backends),
            use_cache=self.use_cache,
        )
        result = RunResult(run_dir=layout.root, stats={})
        try:
            if self.use_cache:  # under the run lock: no other writer of segments is alive
                state.migrate_cache()
            self._check_fingerprint(state, result)
            layout.write_recipe(self.recipe)
            started = time.time()
            ops = self._driver_ops()
            for op in ops:
                op.setup(ctx)
            # chunked pipelining keeps remote servers busy; an in-process engine is one
            # resource that batches a whole shard best
            self.pipeline_io = not ctx.has_in_process_backend()
            try:
                asyncio.run(self._run_phases(state, ctx, result))
            finally:
                for op in ops:
                    op.teardown()
            result.stats = self._write_stats(state, time.time() - started)
            # the registrations trainers need, next to the data (RUN_DIR/trainers/)
            write_snippets(layout.root, self.recipe.name, self.recipe.output.formats)
        finally:
            state.close()
        return result

    def _driver_ops(self) -> list[Op]:
        """The ops this process sets up: here all of them (the Ray adapter keeps only the
        source and the barriers, whose ``fit`` runs on the driver)."""
        return ([self.source] if self.source else []) + [s.op for s in self.all_steps()]

    def _check_fingerprint(self, state: StateStore, result: RunResult) -> None:
        fingerprint = self.recipe.fingerprint({"limit": self.limit})
        previous = state.get_meta("fingerprint")
        made_by = self.layout.recorded_recipe_name()
        if previous is not None and made_by not in (None, self.recipe.name) and not self.force:
            raise ConfigError(
                f"{self.layout.root} holds a run of recipe {made_by!r}, not {self.recipe.name!r}: "
                "give another -o, or --force to replace its outputs"
            )
        if previous is not None and previous != fingerprint:
            msg = (
                "recipe or input changed since the last run in this dir: redoing every shard "
                "(cached model answers are reused)"
            )
            self.progress.log(msg)
            result.messages.append(msg)
            state.reset_shards()
            state.set_meta("runs", "{}")  # wall times of the new recipe's runs start afresh
            self.layout.clear_outputs()
        elif previous is not None:
            done = sum(len(state.finished_shards(p.index)) for p in self.phases)
            if done:
                msg = f"resuming run in {self.layout.root}: {done} finished shard(s) are kept"
                self.progress.log(msg)
                result.messages.append(msg)
                result.resumed_shards = done
        state.set_meta("fingerprint", fingerprint)
        self.layout.remove_temporaries()

    async def _run_phases(self, state: StateStore, ctx: OpContext, result: RunResult) -> None:
        loop = asyncio.get_running_loop()
        threads = self.recipe.executor.cpu_threads or max(2, os.cpu_count() or 2)
        loop.set_default_executor(ThreadPoolExecutor(max_workers=threads))
        try:
            for phase in self.phases:
                await self._run_phase(phase, state, result)
        finally:
            await ctx.aclose()

    async def _run_phase(self, phase: Phase, state: StateStore, result: RunResult) -> None:
        records = state.shard_records(phase.index)
        old_count = int(state.get_meta(f"phase{phase.index}_shards") or 0)
        if phase.barrier is not None:
            barrier_op = phase.barrier.op
            assert isinstance(barrier_op, BarrierOp)
            self.progress.log(f"{phase.barrier.name}: fitting on all samples so far")
            t0 = time.perf_counter()
            await asyncio.to_thread(barrier_op.fit, self._iter_stage(phase.index - 1, state))
            state.set_barrier_stats(phase.index, {"fit_seconds": time.perf_counter() - t0})
        total = self._input_count(phase, state)
        self.progress.start_phase(
            phase.index, len(self.phases), total, [s.name for s in phase.steps]
        )
        sem = asyncio.Semaphore(self.recipe.executor.shards_in_flight)
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []
        plan = ShardPlan(phase.index, records, old_count, state)

        async def worker(shard: int, pending: PendingShard, ticker: ShardTicker) -> None:
            try:
                current_shard.set(ticker)  # this task's context: stages tick the bar per sample
                await self._process_shard(phase, shard, pending, state)
                result.processed_shards += 1
            except BaseException as exc:
                failure.append(exc)
            finally:
                sem.release()

        chunks = self._chunks(phase, state)
        shard = 0
        while not failure:
            await sem.acquire()
            t_read = time.perf_counter()
            chunk = await asyncio.to_thread(next, chunks, None)
            t_read = time.perf_counter() - t_read  # a reader's time for this shard
            if chunk is None:
                sem.release()
                break
            if plan.reuse(shard, chunk.input):
                self.progress.advance_input(chunk.size, resumed=True)
                sem.release()
            else:
                if not self._report_removed:  # an old report describes what is being redone
                    self.layout.remove_report()
                    self._report_removed = True
                ticker = self.progress.shard_ticker(chunk.size)
                ticker.read_seconds = t_read
                task = asyncio.create_task(worker(shard, chunk, ticker))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            shard += 1
        if not failure:
            for msg in plan.finish(shard):
                self.progress.log(msg)
                result.messages.append(msg)
        if tasks:
            await asyncio.gather(*tasks)
        if failure:
            raise failure[0]
        for gone in plan.gone_shards(shard):
            self.layout.remove_shard(phase.index, gone, final=phase.final)
        state.forget_shards(phase.index, shard)
        state.set_meta(f"phase{phase.index}_shards", str(shard))

    def _input_count(self, phase: Phase, state: StateStore) -> int | None:
        if phase.index > 0:
            return state.kept_in_phase(phase.index - 1)
        n = self.source.count() if self.source is not None else self._reader().count()
        if n is not None and self.limit is not None:
            n = min(n, self.limit)
        return n

    def _reader(self) -> Any:
        return open_input(self.recipe, self.layout)

    def _chunks(self, phase: Phase, state: StateStore) -> Iterator[PendingShard]:
        size = self.recipe.executor.shard_size
        if phase.index > 0:
            n_prev = int(state.get_meta(f"phase{phase.index - 1}_shards") or 0)
            for shard in range(n_prev):
                path = self.layout.stage_file(phase.index - 1, shard)
                yield PendingShard(size=0, load=lambda p=path: read_stage(p), path=path)
            return
        if self.source is not None:
            source = self.source
            n = source.count() if self.limit is None else min(source.count(), self.limit)
            for start in range(0, n, size):
                stop = min(start + size, n)
                yield PendingShard(
                    size=stop - start,
                    load=lambda a=start, b=stop: generate_shard(source, a, b),
                    span=(start, stop),
                )
            return
        chunk: list[Sample] = []
        for taken, sample in enumerate(self._reader()):
            if self.limit is not None and taken >= self.limit:
                break
            chunk.append(sample)
            if len(chunk) >= size:
                yield PendingShard(len(chunk), lambda c=chunk: c, ShardInput.of(chunk))
                chunk = []
        if chunk:
            yield PendingShard(len(chunk), lambda c=chunk: c, ShardInput.of(chunk))

    def _iter_stage(self, phase: int, state: StateStore) -> Iterator[Sample]:
        for pending in self._chunks(Phase(index=phase + 1, steps=[]), state):
            yield from pending.load()

    async def _process_shard(
        self, phase: Phase, shard: int, pending: PendingShard, state: StateStore
    ) -> None:
        """Run one shard, then (here, on the driver, the state store's only writer) record it
        as finished, with what it read (``pending.input``, for resume): its files are in place
        by then."""
        outcome = await self._run_shard(phase, shard, pending)
        shard_input = pending.input
        state.mark_finished(
            phase.index,
            shard,
            outcome.n_in,
            outcome.n_out,
            {k: v.to_dict() for k, v in outcome.stats.items()},
            fingerprint=shard_input.fingerprint if shard_input else None,
            items=shard_input.items if shard_input else None,
            transient=sum(st.transient for st in outcome.stats.values()),
        )
        self.progress.shard_done(phase.index, outcome.n_in, outcome.stats)

    async def _run_shard(self, phase: Phase, shard: int, pending: PendingShard) -> ShardOutcome:
        """Where a shard runs: in this process (the Ray adapter sends it to a worker)."""
        ticker = current_shard.get()
        t0 = time.perf_counter()
        samples = await asyncio.to_thread(pending.load)
        if ticker is not None:
            ticker.read_seconds += time.perf_counter() - t0
            if phase.index > 0:  # a stage file's size is known once it is read
                ticker.size = len(samples)
        return await self.process_shard(phase, shard, samples)

    async def process_shard(self, phase: Phase, shard: int, samples: list[Sample]) -> ShardOutcome:
        """The unit of work both executors call: one shard through the phase's steps, its files
        written atomically; returns its stats (recording it finished is the caller's job). The
        Ray adapter may split the steps over workers: ``start_shard``, ``_run_steps`` per part,
        then ``finish_shard``."""
        work = start_shard(phase, samples)
        work.samples = await self._run_steps(phase.steps, work.samples, work.stats, work.rejects)
        return await self.finish_shard(phase, shard, work)

    async def finish_shard(self, phase: Phase, shard: int, work: ShardWork) -> ShardOutcome:
        """Write the shard's files (temporary names, then renamed into place); a sample no
        writer can take becomes a ``write`` reject instead of failing the shard."""
        if phase.final:
            work.samples = check_writable(
                self.recipe.output.formats, work.samples, work.stats, work.rejects
            )
        unwritable = await asyncio.to_thread(
            write_shard,
            self.layout,
            self.recipe.output,
            phase,
            shard,
            work.samples,
            work.rejects,
            work.stats,
        )
        if unwritable:
            n = len(work.samples)
            st = work.stats.setdefault(WRITE_STEP, StepStats(n_in=n, n_out=n))
            st.rejected["write_error"] += len(unwritable)
            st.n_out -= len(unwritable)
            work.samples = [s for s in work.samples if not s.rejected]
        return ShardOutcome(n_in=work.n_in, n_out=len(work.samples), stats=work.stats)

    def _write_stats(self, state: StateStore, wall: float) -> dict[str, Any]:
        steps = [READ_STEP] + [s.name for s in self.all_steps()] + [WRITE_STEP]
        stats = collect_stats(state, steps)
        stats["recipe"] = self.recipe.name
        stats["wall_seconds"] = round(wall, 3)
        stats["cache_entries"] = state.cache_size()
        stats.update(run_history(state, wall, stats.get("usage", {})))
        self.layout.write_stats(stats)
        return stats
