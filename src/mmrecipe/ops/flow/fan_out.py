"""One sample per branch: the same image goes down several paths (LLaVA's three kinds)."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import ExpandOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("fan_out")
class FanOut(ExpandOp):
    """Copy each sample once per branch (id ``<id>-<branch>``), putting each copy on its
    branch and writing the branch name to ``fields.<kind_field>``, so later steps with
    ``branch:`` make a different kind of data from the same annotations (LLaVA-Instruct:
    conversation, detailed description, complex reasoning from one COCO image).

    Args:
        branches: one copy per name (each becomes the copy's branch)
        kind_field: field that records which branch made the sample (None: none)
    """

    writes = ("fields.kind",)

    def __init__(self, branches: list[str], kind_field: str | None = "kind") -> None:
        if not branches or len(set(branches)) != len(branches):
            raise ConfigError("fan_out: branches must be a non-empty list of distinct names")
        if not all(isinstance(b, str) and b.strip() for b in branches):
            raise ConfigError("fan_out: branch names must be non-empty strings")
        self.branches = list(branches)
        self.kind_field = kind_field
        self.writes = (f"fields.{kind_field}",) if kind_field else ()

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        out: list[Sample] = []
        for sample in samples:
            if sample.rejected:
                out.append(sample)
                continue
            for branch in self.branches:
                child = sample.child(branch)
                child.branch = branch
                if self.kind_field:
                    child.fields[self.kind_field] = branch
                out.append(child)
        return out
