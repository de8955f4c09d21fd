"""What a phase and a shard are while the executor runs them: the plan's steps and phases, a
shard's input before it is loaded, its samples/rejects/stats on their way through the steps, and
what it returns. Shared by the local executor and the Ray workers, which import nothing else of
the driver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mmrecipe.executor.progress import current_shard
from mmrecipe.io.samples import SamplesReader
from mmrecipe.ops.base import Op, SourceOp
from mmrecipe.recipe import StepSpec
from mmrecipe.resume import ShardInput
from mmrecipe.sample import Sample
from mmrecipe.stats import StepStats

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


def read_stage(path: Path) -> list[Sample]:
    return list(SamplesReader(path)) if path.exists() else []


def generate_shard(source: SourceOp, start: int, stop: int) -> list[Sample]:
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
