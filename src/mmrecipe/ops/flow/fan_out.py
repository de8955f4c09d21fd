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

    With ``where`` only samples whose fields match are copied (the others pass on
    unchanged), and ``keep_original`` keeps the sample itself on its branch beside its copies
    (HoneyPipe: complex samples get a long-CoT copy in addition to their short CoT).

    Args:
        branches: one copy per name (each becomes the copy's branch)
        kind_field: field that records which branch made the sample (None: none)
        where: ``{field: [values]}``: copy only samples whose every named field holds one of
            its values (None: every sample)
        keep_original: keep the sample itself too (id unchanged, branch unchanged)
    """

    writes = ("fields.kind",)

    def __init__(
        self,
        branches: list[str],
        kind_field: str | None = "kind",
        where: dict[str, list[object]] | None = None,
        keep_original: bool = False,
    ) -> None:
        if not branches or len(set(branches)) != len(branches):
            raise ConfigError("fan_out: branches must be a non-empty list of distinct names")
        if not all(isinstance(b, str) and b.strip() for b in branches):
            raise ConfigError("fan_out: branch names must be non-empty strings")
        self.branches = list(branches)
        self.kind_field = kind_field
        self.writes = (f"fields.{kind_field}",) if kind_field else ()
        if where is not None and (
            not isinstance(where, dict)
            or not where
            or not all(isinstance(v, list) and v for v in where.values())
        ):
            raise ConfigError("fan_out: where maps field names to non-empty lists of values")
        self.where = where
        self.keep_original = keep_original
        if where:
            self.reads = tuple(f"fields.{name}" for name in where)

    def _selected(self, sample: Sample) -> bool:
        if not self.where:
            return True
        return all(sample.fields.get(k) in values for k, values in self.where.items())

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        out: list[Sample] = []
        for sample in samples:
            if sample.rejected or not self._selected(sample):
                out.append(sample)
                continue
            if self.keep_original:
                out.append(sample)
            for branch in self.branches:
                child = sample.child(branch)
                child.branch = branch
                if self.kind_field:
                    child.fields[self.kind_field] = branch
                out.append(child)
        return out
