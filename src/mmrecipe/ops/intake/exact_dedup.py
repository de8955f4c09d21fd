"""Drop exact duplicates: samples whose image bytes (and optionally text) were seen before."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from mmrecipe.imaging import file_sha256
from mmrecipe.ops.base import BarrierOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("exact_dedup")
class ExactDedup(BarrierOp):
    """Keeps the first sample (in input order) of each group with identical image bytes.

    Args:
        include_text: also require identical conversation text to count as a duplicate
    """

    reads = ("images",)
    writes = ()

    def __init__(self, include_text: bool = False) -> None:
        self.include_text = include_text
        self._first: dict[str, str] = {}

    def _key(self, sample: Sample) -> str:
        h = hashlib.sha256()
        for ref in sample.images:
            if ref.sha256 is None:
                ref.sha256 = file_sha256(ref.path)
            h.update(ref.sha256.encode())
        if self.include_text:
            for m in sample.messages:
                h.update(str(m.get("content", "")).encode("utf-8"))
        return h.hexdigest()

    def fit(self, samples: Iterable[Sample]) -> None:
        self._first = {}
        for sample in samples:
            self._first.setdefault(self._key(sample), sample.id)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            first = self._first.get(self._key(sample), sample.id)
            if first != sample.id:
                sample.reject(self.name, "exact_duplicate", f"same bytes as sample {first}")
        return samples
