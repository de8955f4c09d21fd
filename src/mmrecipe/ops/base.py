"""The Op protocol: what every step of a recipe is.

Ops take explicit typed constructor arguments (validated from the signature), get a ``setup``
once per worker, process batches of samples and get a ``teardown``. Each declares which sample
parts it reads and writes so a recipe can be checked before anything runs.

Kinds:
- ``MapOp``: 1 -> 1 (may reject).
- ``FilterOp``: split into ``score`` (stores numbers in ``sample.scores``) and ``keep`` (applies
  thresholds), so a user can re-threshold without re-paying the model.
- ``ExpandOp``: 1 -> n, children get deterministic ids via ``Sample.child``.
- ``SourceOp``: makes samples from nothing (programmatic synthesis); deterministic per index.
- ``BarrierOp``: needs the whole dataset (dedup, fit-then-apply); the executor runs ``fit`` over
  everything upstream as its own phase, then ``process_batch`` applies what was fitted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from mmrecipe.sample import Sample

if TYPE_CHECKING:
    from mmrecipe.context import OpContext


class OpKind(StrEnum):
    MAP = "map"
    FILTER = "filter"
    EXPAND = "expand"
    SOURCE = "source"
    BARRIER = "barrier"


class Op:
    """Base of every op. Subclasses set the class attributes and override ``process_batch``."""

    #: registry name, set by :func:`mmrecipe.registry.register_op`
    op_name: ClassVar[str] = ""
    kind: ClassVar[OpKind] = OpKind.MAP
    #: sample parts read/written, e.g. ``"images"``, ``"messages"``, ``"fields.caption"``
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
    #: True when the op mostly waits on I/O (model servers): it runs as a coroutine with many
    #: requests in flight instead of in the CPU thread pool
    io_bound: ClassVar[bool] = False
    #: samples handed to one ``process_batch`` call (None: the executor's default)
    batch_size: ClassVar[int | None] = None
    #: what one worker running this op needs, as Ray resources (``{"num_cpus": 2}``; default
    #: one CPU): the Ray executor sizes its tasks and actors from it (GPUs of in-process
    #: engines come from the backend); the local executor ignores it
    resources: ClassVar[dict[str, float]] = {}

    #: the step name in the recipe (defaults to ``op_name``); used in rejects and stats
    step_name: str = ""
    ctx: OpContext | None = None

    def setup(self, ctx: OpContext) -> None:
        """Called once per worker before any batch: load models, open clients."""
        self.ctx = ctx

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        """Return the processed samples; mark drops with ``sample.reject(self.name, reason)``."""
        raise NotImplementedError

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        """Async entry point used by the executor; CPU ops run in a worker thread."""
        return await asyncio.to_thread(self.process_batch, samples)

    def teardown(self) -> None:
        """Called once per worker at the end: free models, close clients."""

    @property
    def name(self) -> str:
        return self.step_name or self.op_name

    def fingerprint_extra(self) -> dict[str, Any]:
        """Extra state that should invalidate finished shards when it changes (e.g. a prompt file)."""
        return {}


class MapOp(Op):
    kind = OpKind.MAP


class ExpandOp(Op):
    kind = OpKind.EXPAND


class FilterOp(Op):
    """A filter split into ``score`` (measure, store) and ``keep`` (threshold)."""

    kind = OpKind.FILTER

    def score(self, samples: list[Sample]) -> None:
        """Store measurements in ``sample.scores`` (or reject samples that cannot be scored)."""
        raise NotImplementedError

    async def ascore(self, samples: list[Sample]) -> None:
        await asyncio.to_thread(self.score, samples)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        """Return None to keep the sample, or why it is dropped: a reason, or (reason, detail)."""
        raise NotImplementedError

    def _apply_keep(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            verdict = self.keep(sample)
            if isinstance(verdict, tuple):
                sample.reject(self.name, *verdict)
            elif verdict is not None:
                sample.reject(self.name, verdict)
        return samples

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        self.score(samples)
        return self._apply_keep(samples)

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        if self.io_bound:
            await self.ascore(samples)
        else:
            await asyncio.to_thread(self.score, samples)
        return self._apply_keep(samples)


class SourceOp(Op):
    """Generates samples; sample ``index`` must fully determine its content (with the seed)."""

    kind = OpKind.SOURCE

    def count(self) -> int:
        """How many samples this source makes in total."""
        raise NotImplementedError

    def generate(self, start: int, stop: int) -> list[Sample]:
        """Make samples with indices ``start`` .. ``stop - 1``."""
        raise NotImplementedError

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        raise TypeError(f"source op {self.name!r} must be the first step of a recipe")


class BarrierOp(Op):
    """Needs all upstream samples: ``fit`` sees every one, then ``process_batch`` applies."""

    kind = OpKind.BARRIER

    def fit(self, samples: Iterable[Sample]) -> None:
        raise NotImplementedError
