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
from mmrecipe.ops.base import Op
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
