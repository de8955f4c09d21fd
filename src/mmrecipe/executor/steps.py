"""Shard running: a shard's samples through a phase's steps, batch by batch, with consecutive
model steps pipelined in chunks, rejects routed or set aside, and an op's exception turned into
the one sample's reject. A mixin of ``LocalExecutor`` (the Ray workers call these methods on
their own executor) kept apart from the run loop and the writing."""

from __future__ import annotations

import asyncio
import time
import traceback

from mmrecipe.errors import BackendUnavailable
from mmrecipe.executor.progress import current_shard
from mmrecipe.executor.shards import Step
from mmrecipe.ops.base import Op, OpKind
from mmrecipe.recipe import Recipe
from mmrecipe.sample import Sample
from mmrecipe.stats import StepStats, current_step_stats
from mmrecipe.strictjson import clean_sample
from mmrecipe.writeerrors import is_disk_failure


class StepRunner:
    """Runs samples through steps; needs the recipe's executor settings and ``pipeline_io``."""

    recipe: Recipe
    #: pipeline consecutive I/O-bound steps in chunks (off with an in-process engine)
    pipeline_io: bool

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
            lead = self._cpu_lead(steps, i, samples)
            if lead > i:
                samples = await self._run_pipelined(steps[i:lead], samples, stats, rejects, True)
                i = lead
                continue
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

    def _cpu_lead(self, steps: list[Step], i: int, samples: list[Sample]) -> int:
        """End of a per-sample CPU step (image intake) and the I/O-bound steps after it, when
        they can flow in chunks together, so the first requests leave after one chunk is
        checked rather than the whole shard (whole-process speed, issue 21); ``i`` when not.
        Only where the result is the same: the CPU op maps or filters sample by sample, its
        batches fall on chunk boundaries, every sample is on its branch, nothing is routed."""
        size = self.recipe.executor.io_chunk_size
        first = steps[i]
        if (
            not self.pipeline_io
            or first.op.io_bound
            or len(samples) <= size
            or first.spec.route
            or size % (first.op.batch_size or self.recipe.executor.batch_size)
            or any(s.branch != first.spec.branch for s in samples)
        ):
            return i
        end = i + 1
        while end < len(steps) and steps[end].op.io_bound:
            end += 1
        kinds = {step.op.kind for step in steps[i:end]}
        if end == i + 1 or not kinds <= {OpKind.MAP, OpKind.FILTER}:
            return i
        return end

    async def _run_pipelined(
        self,
        steps: list[Step],
        samples: list[Sample],
        stats: dict[str, StepStats],
        rejects: list[Sample],
        cpu_lead: bool = False,
    ) -> list[Sample]:
        """Consecutive I/O-bound steps (model calls): chunks of the shard flow through them on
        their own, so a chunk goes on to the next step as soon as its own answers are in and no
        server idles while a step waits for its slowest request. The backends' concurrency
        limits still bound the requests in flight; outputs and rejects keep the chunk order,
        so the shard's files do not depend on timing. A step's seconds are the span from its
        first chunk's start to its last chunk's end.

        ``cpu_lead``: the first step is a CPU step (see ``_cpu_lead``); rejects are then put in
        the order the unpipelined run gives (that step's first, then the I/O steps' by chunks
        of its survivors), so the files are byte for byte the same."""
        size = self.recipe.executor.io_chunk_size
        chunks = [samples[k : k + size] for k in range(0, len(samples), size)]
        chunk_rejects: list[list[Sample]] = [[] for _ in chunks]
        lead_rejects: list[list[Sample]] = [[] for _ in chunks]
        survivors: list[list[Sample]] = [[] for _ in chunks]
        spans: dict[str, tuple[float, float]] = {}
        # the CPU step takes the chunks one at a time, in order (a fair lock): chunk 0's
        # requests leave while chunk 1 is checked, as in a shard's unpipelined sequence
        cpu_turn = asyncio.Lock()

        async def flow(index: int, chunk: list[Sample]) -> list[Sample]:
            for n, step in enumerate(steps):
                lead = cpu_lead and n == 0
                into = lead_rejects[index] if lead else chunk_rejects[index]
                st = stats.setdefault(step.name, StepStats())
                if lead:
                    async with cpu_turn:
                        t0 = time.perf_counter()
                        chunk = await self._run_step(step, chunk, st, into, timed=False)
                    survivors[index] = list(chunk)
                else:
                    t0 = time.perf_counter()
                    chunk = await self._run_step(step, chunk, st, into, timed=False)
                start, end = spans.get(step.name, (t0, t0))
                spans[step.name] = (min(start, t0), max(end, time.perf_counter()))
            return chunk

        outputs = await asyncio.gather(*(flow(i, c) for i, c in enumerate(chunks)))
        for name, (start, end) in spans.items():
            stats[name].seconds += end - start
        if cpu_lead:
            for chunk_rejected in lead_rejects:
                rejects.extend(chunk_rejected)
            position = {id(s): k for k, s in enumerate(s for c in survivors for s in c)}
            step_of = {step.name: n for n, step in enumerate(steps)}
            later = [s for chunk_rejected in chunk_rejects for s in chunk_rejected]
            rejects.extend(
                sorted(later, key=lambda s: _unpipelined_order(s, position, step_of, size))
            )
        else:
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


def _unpipelined_order(
    sample: Sample, position: dict[int, int], step_of: dict[str, int], size: int
) -> tuple[int, int, int]:
    """Where an I/O step's reject falls when the chunks are cut from the CPU step's survivors
    (the unpipelined run): by that chunk, then by step, then by sample."""
    pos = position.get(id(sample), len(position))
    step = sample.rejection.op if sample.rejection is not None else ""
    return pos // size, step_of.get(step, len(step_of)), pos
