"""Bring samples of a side branch back onto another (HoneyPipe: the long-CoT branch rejoins)."""

from __future__ import annotations

from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import MAIN_BRANCH, Sample


@register_op("join_branch")
class JoinBranch(MapOp):
    """Moves every sample this step sees (set ``branch:`` on the step) to branch ``to``, so
    the steps after it treat them like the others.

    Args:
        to: the branch the samples continue on
    """

    def __init__(self, to: str = MAIN_BRANCH) -> None:
        self.to = to

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if not sample.rejected:
                sample.branch = self.to
        return samples
