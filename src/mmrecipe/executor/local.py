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
import json
import os
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmrecipe.context import OpContext
from mmrecipe.errors import BackendUnavailable, ConfigError
from mmrecipe.executor.progress import ProgressView, ShardTicker, current_shard
from mmrecipe.io import EMBEDS_IMAGES, WRITE_SUFFIX, missing_image, open_reader, open_writer
from mmrecipe.io.base import (
    GuardedReader,
    ImageRoot,
    default_image_root,
    portable_path,
    record_error,
)
from mmrecipe.io.samples import SamplesReader
from mmrecipe.io.sampling import SampledReader
from mmrecipe.io.snippets import write_snippets
from mmrecipe.ops.base import BarrierOp, Op, OpKind, SourceOp
from mmrecipe.recipe import Recipe, StepSpec, check_settings
from mmrecipe.registry import build_op, load_plugins
from mmrecipe.resume import ShardInput, ShardPlan
from mmrecipe.rundir import RunDir
from mmrecipe.runlock import RunLock
from mmrecipe.sample import Sample
from mmrecipe.state import StateStore
from mmrecipe.stats import StepStats, current_step_stats
from mmrecipe.strictjson import clean_sample
from mmrecipe.writeerrors import is_disk_failure, output_errors

READ_STEP = "read"
#: per-shard stats of writers (samples left out of a format) are kept under this prefix
OUTPUT_PREFIX = "output:"
WRITE_STEP = "write"


@dataclass
class Step:
    spec: StepSpec
    op: Op

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Phase:
    index: int
    steps: list[Step]
    barrier: Step | None = None
    final: bool = False


@dataclass
class RunResult:
    run_dir: Path
    stats: dict[str, Any]
    resumed_shards: int = 0
    processed_shards: int = 0
    messages: list[str] = field(default_factory=list)


class LocalExecutor:
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
        self.limit = limit
        self.use_cache = use_cache
        self.progress = progress or ProgressView(quiet=quiet)
        self.source: SourceOp | None = None
        #: pipeline consecutive I/O-bound steps in chunks (off with an in-process engine)
        self.pipeline_io = True
        self.phases = self._plan()

    # planning ---------------------------------------------------------------------------
    def _plan(self) -> list[Phase]:
        load_plugins(self.recipe.plugins)
        check_settings(self.recipe)
        steps = [
            Step(spec, build_op(spec.op, spec.name, spec.params))
            for spec in self.recipe.active_steps()
        ]
        if steps and steps[0].op.kind == OpKind.SOURCE:
            self.source = steps.pop(0).op  # type: ignore[assignment]
        elif self.recipe.input.path is None:
            raise ConfigError(
                "the recipe has no input: give --input PATH (or input.path) or start with a source op"
            )
        for s in steps:
            if s.op.kind == OpKind.SOURCE:
                raise ConfigError(f"step {s.name!r}: a source op must be the first step")
        phases = [Phase(index=0, steps=[])]
        for s in steps:
            if s.op.kind == OpKind.BARRIER:
                phases.append(Phase(index=len(phases), steps=[s], barrier=s))
            else:
                phases[-1].steps.append(s)
        phases[-1].final = True
        return phases

    def all_steps(self) -> list[Step]:
        return [s for p in self.phases for s in p.steps]

    # running ----------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run the recipe into the run dir, holding its lock (a second run exits at once)."""
        with output_errors(self.layout.root):
            try:
                with RunLock(self.layout.root):
                    return self._run_locked()
            finally:
                self.progress.stop()

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
        spec = self.recipe.input
        assert spec.path is not None
        path = Path(spec.path).expanduser()
        given = [spec.image_root] if isinstance(spec.image_root, str) else spec.image_root or []
        roots = [Path(r).expanduser() for r in given]
        for root in roots:
            if not root.is_dir():
                raise ConfigError(f"input.image_root {root} is not a folder")
        image_root = ImageRoot(
            roots or default_image_root(path),
            allow_outside_root=spec.allow_outside_root,
            allow_remote=spec.allow_remote,
            remote_dir=self.layout.images / "remote",
            remote_max_bytes=spec.remote_max_bytes,
            remote_timeout_s=spec.remote_timeout_s,
            remote_workers=spec.remote_concurrency,
            allow_private_hosts=spec.allow_private_hosts,
            member_max_bytes=spec.member_max_bytes,
        )
        reader = open_reader(
            spec.format,
            path,
            image_root=image_root,
            materialize_dir=self.layout.images / "input",
            **spec.options,
        )
        guarded = GuardedReader(reader, path)
        if spec.sample is not None:
            return SampledReader(guarded, spec.sample.n, spec.sample.seed)
        return guarded

    def _chunks(self, phase: Phase, state: StateStore) -> Iterator[PendingShard]:
        size = self.recipe.executor.shard_size
        if phase.index > 0:
            n_prev = int(state.get_meta(f"phase{phase.index - 1}_shards") or 0)
            for shard in range(n_prev):
                path = self.layout.stage_file(phase.index - 1, shard)
                yield PendingShard(size=0, load=lambda p=path: _read_stage(p), path=path)
            return
        if self.source is not None:
            source = self.source
            n = source.count() if self.limit is None else min(source.count(), self.limit)
            for start in range(0, n, size):
                stop = min(start + size, n)
                yield PendingShard(
                    size=stop - start,
                    load=lambda a=start, b=stop: _generate(source, a, b),
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
            work.samples = self._check_writable(work.samples, work.stats, work.rejects)
        unwritable = await asyncio.to_thread(
            self._write_shard, phase, shard, work.samples, work.rejects, work.stats
        )
        if unwritable:
            n = len(work.samples)
            st = work.stats.setdefault(WRITE_STEP, StepStats(n_in=n, n_out=n))
            st.rejected["write_error"] += len(unwritable)
            st.n_out -= len(unwritable)
            work.samples = [s for s in work.samples if not s.rejected]
        return ShardOutcome(n_in=work.n_in, n_out=len(work.samples), stats=work.stats)

    async def _run_steps(
        self,
        steps: list[Step],
        samples: list[Sample],
        stats: dict[str, StepStats],
        rejects: list[Sample],
    ) -> list[Sample]:
        """Run a shard through the steps: one step after another, except that consecutive
        I/O-bound steps are pipelined in chunks (see ``_run_pipelined``) when every model is
        behind a server."""
        chunk = self.recipe.executor.io_chunk_size
        i = 0
        while i < len(steps):
            j = i + 1
            while steps[i].op.io_bound and j < len(steps) and steps[j].op.io_bound:
                j += 1
            if self.pipeline_io and j - i > 1 and len(samples) > chunk:
                samples = await self._run_pipelined(steps[i:j], samples, stats, rejects)
            else:
                for step in steps[i:j]:
                    st = stats.setdefault(step.name, StepStats())
                    samples = await self._run_step(step, samples, st, rejects)
            i = j
        for s in (*samples, *rejects):
            clean_sample(s)  # strict JSON before anything is written: NaN/Infinity -> null, flagged
        return samples

    async def _run_pipelined(
        self,
        steps: list[Step],
        samples: list[Sample],
        stats: dict[str, StepStats],
        rejects: list[Sample],
    ) -> list[Sample]:
        """Consecutive I/O-bound steps (model calls): chunks of the shard flow through them on
        their own, so a chunk goes on to the next step as soon as its own answers are in and no
        server idles while a step waits for its slowest request. The backends' concurrency
        limits still bound the requests in flight; outputs and rejects keep the chunk order,
        so the shard's files do not depend on timing. A step's seconds are the span from its
        first chunk's start to its last chunk's end."""
        size = self.recipe.executor.io_chunk_size
        chunks = [samples[k : k + size] for k in range(0, len(samples), size)]
        chunk_rejects: list[list[Sample]] = [[] for _ in chunks]
        spans: dict[str, tuple[float, float]] = {}

        async def flow(index: int, chunk: list[Sample]) -> list[Sample]:
            for step in steps:
                t0 = time.perf_counter()
                st = stats.setdefault(step.name, StepStats())
                chunk = await self._run_step(step, chunk, st, chunk_rejects[index], timed=False)
                start, end = spans.get(step.name, (t0, t0))
                spans[step.name] = (min(start, t0), max(end, time.perf_counter()))
            return chunk

        outputs = await asyncio.gather(*(flow(i, c) for i, c in enumerate(chunks)))
        for name, (start, end) in spans.items():
            stats[name].seconds += end - start
        for chunk_rejected in chunk_rejects:
            rejects.extend(chunk_rejected)
        return [s for out in outputs for s in out]

    async def _run_step(
        self,
        step: Step,
        samples: list[Sample],
        st: StepStats,
        rejects: list[Sample],
        *,
        timed: bool = True,
    ) -> list[Sample]:
        selected = [s for s in samples if s.branch == step.spec.branch]
        others = [s for s in samples if s.branch != step.spec.branch]
        if not selected:
            return samples
        st.n_in += len(selected)
        op = step.op
        size = op.batch_size or (len(selected) if op.io_bound else self.recipe.executor.batch_size)
        token = current_step_stats.set(st)
        t0 = time.perf_counter()
        outputs: list[Sample] = []
        try:
            for i in range(0, len(selected), size):
                outputs.extend(await self._call_op(op, selected[i : i + size]))
                if (ticker := current_shard.get()) is not None:
                    ticker.tick(len(selected[i : i + size]), step.name)
        finally:
            if timed:
                st.seconds += time.perf_counter() - t0
            current_step_stats.reset(token)
        kept: list[Sample] = []
        routed = 0
        for s in outputs:
            if s.rejection is None:
                kept.append(s)
                continue
            route = step.spec.route.get(s.rejection.reason) or step.spec.route.get("*")
            if route:
                s.trace.setdefault("routes", []).append(s.rejection.to_dict())
                s.branch = route
                s.rejection = None
                st.routed[route] += 1
                routed += 1
                kept.append(s)
            else:
                st.rejected[s.rejection.reason] += 1
                st.transient += s.rejection.transient
                rejects.append(s)
        st.n_out += len(kept) - routed  # an op may put its outputs on branches (fan_out)
        return kept + others

    async def _call_op(self, op: Op, batch: list[Sample]) -> list[Sample]:
        """Run one batch; if the op raises, retry sample by sample so one bad sample only
        rejects itself (with the error as its reason) and the run goes on. An unreachable
        backend stops the run instead: it is no sample's fault, and a rerun resumes."""
        try:
            return await op.aprocess_batch(batch)
        except BackendUnavailable:
            raise
        except Exception as exc:
            if is_disk_failure(exc):
                raise  # a full or read-only disk is no sample's fault: stop, the rerun resumes
            if len(batch) == 1:
                return [self._error_reject(op, batch[0])]
        out: list[Sample] = []
        for sample in batch:
            try:
                out.extend(await op.aprocess_batch([sample]))
            except BackendUnavailable:
                raise
            except Exception as exc:
                if is_disk_failure(exc):
                    raise
                out.append(self._error_reject(op, sample))
        return out

    @staticmethod
    def _error_reject(op: Op, sample: Sample) -> Sample:
        exc_text = traceback.format_exc(limit=3).strip().splitlines()
        last = exc_text[-1] if exc_text else "unknown error"
        return sample.reject(op.name, "op_error", f"{op.name} raised {last}")

    def _check_writable(
        self, samples: list[Sample], stats: dict[str, StepStats], rejects: list[Sample]
    ) -> list[Sample]:
        """A format that embeds image bytes (Parquet) needs the files: a sample whose image is
        gone is rejected at a ``write`` step (``missing_image``) instead of failing the shard."""
        if not any(fmt in EMBEDS_IMAGES for fmt in self.recipe.output.formats):
            return samples
        st = stats.setdefault(WRITE_STEP, StepStats())
        st.n_in += len(samples)
        kept: list[Sample] = []
        for s in samples:
            problem = missing_image(s)
            if problem is None:
                kept.append(s)
                continue
            s.reject(WRITE_STEP, "missing_image", problem)
            st.rejected["missing_image"] += 1
            rejects.append(s)
        st.n_out += len(kept)
        return kept

    def _write_shard(
        self,
        phase: Phase,
        shard: int,
        kept: list[Sample],
        rejects: list[Sample],
        stats: dict[str, StepStats] | None = None,
    ) -> list[Sample]:
        """Write the shard's files; a sample some writer cannot convert is moved to ``rejects``
        (``write_error``) and the files are written again without it. Returns those samples.
        Samples a format cannot hold (left out by its writer, by reason) go into ``stats``."""
        layout = self.layout
        counts: dict[str, StepStats] = {}

        def outputs(samples: list[Sample], failed: dict[int, str]) -> list[tuple[Path, Path]]:
            written: list[tuple[Path, Path]] = []
            counts.clear()
            if phase.final:
                formats = self.recipe.output.formats
                for index, fmt in enumerate(formats):
                    final = layout.data_file(fmt, shard, WRITE_SUFFIX[fmt], primary=index == 0)
                    tmp = self._write_file(fmt, final, samples, failed, counts)
                    written.append((tmp, final))
                final = layout.samples_file(shard)
                written.append((self._write_file("samples", final, samples, failed), final))
            else:
                final = layout.stage_file(phase.index, shard)
                written.append((self._write_file("samples", final, samples, failed), final))
            return written

        failed: dict[int, str] = {}
        written = outputs(kept, failed)
        unwritable = [s for s in kept if id(s) in failed]
        if unwritable:
            for s in unwritable:
                rejects.append(s.reject(WRITE_STEP, "write_error", failed[id(s)]))
            written = outputs([s for s in kept if id(s) not in failed], {})
        if stats is not None:
            for fmt, st in counts.items():
                stats.setdefault(f"{OUTPUT_PREFIX}{fmt}", StepStats()).merge(st)
        rejects_final = layout.rejects_file(phase.index, shard)
        if rejects:
            tmp = rejects_final.with_name(rejects_final.name + ".tmp")
            with open(tmp, "w", encoding="utf-8", errors="backslashreplace") as fh:
                for s in rejects:
                    record = reject_record(s)
                    record["images"] = [  # relative to the run dir, as in samples/
                        {**i, "path": portable_path(str(i.get("path", "")), layout.root)}
                        for i in record.get("images", [])
                        if isinstance(i, dict)
                    ]
                    line = json.dumps(record, ensure_ascii=False, default=str)
                    fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            written.append((tmp, rejects_final))
        else:
            rejects_final.unlink(missing_ok=True)
        for tmp_path, final_path in written:
            os.replace(tmp_path, final_path)
        return unwritable

    def _write_file(
        self,
        fmt: str,
        final: Path,
        samples: list[Sample],
        failed: dict[int, str],
        counts: dict[str, StepStats] | None = None,
    ) -> Path:
        tmp = final.with_name(final.name + ".tmp")
        output = self.recipe.output
        options = output.writer_options(fmt) if fmt != "samples" else None
        writer = open_writer(
            fmt, tmp, base_dir=self.layout.root, keep_fields=output.keep_fields, options=options
        )
        try:
            for s in samples:
                try:
                    writer.write(s)
                except Exception as exc:  # one sample a writer cannot convert: its reject
                    failed.setdefault(id(s), f"{fmt} writer: {record_error(exc)}")
        finally:
            writer.close()
        if counts is not None:
            # samples a format cannot hold, by reason (stats.json "outputs")
            st = counts.setdefault(fmt, StepStats())
            st.n_in += len(samples)
            st.n_out += getattr(writer, "written", len(samples))
            st.rejected.update(getattr(writer, "left_out", {}))
            st.routed.update({f"lost:{k}": v for k, v in getattr(writer, "lost", {}).items()})
        return tmp

    def _write_stats(self, state: StateStore, wall: float) -> dict[str, Any]:
        steps = [READ_STEP] + [s.name for s in self.all_steps()] + [WRITE_STEP]
        stats = collect_stats(state, steps)
        stats["recipe"] = self.recipe.name
        stats["wall_seconds"] = round(wall, 3)
        stats["cache_entries"] = state.cache_size()
        stats.update(run_history(state, wall, stats.get("usage", {})))
        self.layout.write_stats(stats)
        return stats


@dataclass
class PendingShard:
    """A shard's input, loaded only when its task runs (finished shards are never loaded)."""

    size: int
    load: Callable[[], list[Sample]]
    #: what a reader shard reads (None for a source op's or a later phase's shards)
    input: ShardInput | None = None
    #: where it comes from, for a worker that loads it itself: a source op's index range, or
    #: an intermediate stage file (neither: the samples are in memory)
    span: tuple[int, int] | None = None
    path: Path | None = None


@dataclass
class ShardWork:
    """A shard on its way through the steps: the samples still alive, the rejects so far (in
    order) and the per-step stats."""

    samples: list[Sample]
    n_in: int
    rejects: list[Sample] = field(default_factory=list)
    stats: dict[str, StepStats] = field(default_factory=dict)


def start_shard(phase: Phase, samples: list[Sample]) -> ShardWork:
    """A shard's input as it enters the phase: in the first phase, what the reader already
    rejected (a malformed record) is counted under the ``read`` step and set aside."""
    stats: dict[str, StepStats] = {}
    rejects: list[Sample] = []
    if phase.index == 0:
        read = stats.setdefault(READ_STEP, StepStats())
        read.n_in = len(samples)
        if (ticker := current_shard.get()) is not None:
            read.seconds = ticker.read_seconds  # the reader's or the source op's time
            ticker.read(len(samples) - ticker.read_done)
        for s in samples:
            if s.rejected:
                assert s.rejection is not None
                read.rejected[s.rejection.reason] += 1
                rejects.append(s)
        samples = [s for s in samples if not s.rejected]
        read.n_out = len(samples)
    return ShardWork(samples=samples, n_in=len(samples), rejects=rejects, stats=stats)


@dataclass
class ShardOutcome:
    """What processing one shard returns: samples in (after the read step) and out, and the
    per-step stats."""

    n_in: int
    n_out: int
    stats: dict[str, StepStats]


def _read_stage(path: Path) -> list[Sample]:
    return list(SamplesReader(path)) if path.exists() else []


def _generate(source: SourceOp, start: int, stop: int) -> list[Sample]:
    """A source op's shard, one index at a time so the bar moves per sample (index ``i`` fully
    determines its sample, so this equals ``source.generate(start, stop)``)."""
    ticker = current_shard.get()
    out: list[Sample] = []
    for index in range(start, stop):
        made = source.generate(index, index + 1)
        out.extend(made)
        if ticker is not None:
            ticker.read(len(made))
    return out


def run_history(state: StateStore, wall: float, usage: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Figures that mean what they say across reruns into one run dir: the wall time of the
    first and of the last finished run (a no-op rerun is fast; the first run is what the data
    cost), and model answers reused from the request cache vs the cache's size."""
    wall = round(wall, 3)
    previous = json.loads(state.get_meta("runs") or "{}")
    runs = {
        "count": previous.get("count", 0) + 1,
        "first_wall_seconds": previous.get("first_wall_seconds", wall),
        "last_wall_seconds": wall,
        "total_wall_seconds": round(previous.get("total_wall_seconds", 0.0) + wall, 3),
    }
    state.set_meta("runs", json.dumps(runs))
    return {
        "runs": runs,
        "cache": {
            # answers taken from the cache / sent to a model, over the shards in the output
            "hits": sum(u.get("cache_hits", 0) for u in usage.values()),
            "requests": sum(u.get("requests", 0) for u in usage.values()),
            "entries": state.cache_size(),
        },
    }


def reject_record(sample: Sample) -> dict[str, Any]:
    """A line of ``rejects/``: id, op, reason and detail first, then the whole sample."""
    assert sample.rejection is not None
    record: dict[str, Any] = {"id": sample.id, **sample.rejection.to_dict()}
    body = sample.to_dict()
    body.pop("rejection", None)
    body.pop("id", None)
    record.update(body)
    return record


def collect_stats(state: StateStore, step_order: list[str]) -> dict[str, Any]:
    """Merge per-shard stats of every finished shard into the ``stats.json`` shape."""
    merged: dict[str, StepStats] = {}
    outputs: dict[str, StepStats] = {}
    for _phase, _shard, shard_stats in state.shard_stats():
        for name, data in shard_stats.items():
            bucket = outputs if name.startswith(OUTPUT_PREFIX) else merged
            key = name.removeprefix(OUTPUT_PREFIX)
            bucket.setdefault(key, StepStats()).merge(StepStats.from_dict(data))
    names = [n for n in step_order if n in merged] + [n for n in merged if n not in step_order]
    steps = {n: merged[n].to_dict() for n in names}
    reasons: dict[str, int] = {}
    for n in names:
        for reason, count in merged[n].rejected.items():
            key = f"{n}:{reason}"
            reasons[key] = reasons.get(key, 0) + count
    n_input = merged[READ_STEP].n_in if READ_STEP in merged else 0
    kept = state.kept_in_phase(last_phase) if (last_phase := state.last_phase()) is not None else 0
    usage: dict[str, dict[str, int]] = {}
    for st in merged.values():
        for backend, counts in st.usage.items():
            bucket = usage.setdefault(backend, {})
            for key, value in counts.items():
                bucket[key] = bucket.get(key, 0) + value
    transient = sum(st.transient for st in merged.values())
    return {
        "totals": {"input": n_input, "kept": kept, "rejected": sum(reasons.values())},
        # of the rejected, those for transport reasons (server errors, time-outs): a rerun
        # retries them
        "rejected_transient": transient,
        "steps": steps,
        "reject_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "usage": usage,
        "barriers": {str(k): v for k, v in state.barrier_stats().items()},
        "outputs": {
            fmt: {
                "in": st.n_in,
                "written": st.n_out,
                "left_out": dict(sorted(st.rejected.items())),
                "lost": {k[5:]: v for k, v in sorted(st.routed.items()) if k.startswith("lost:")},
            }
            for fmt, st in outputs.items()
        },
    }
