"""A random, deterministic subset of an input: ``input.sample: {n, seed}``.

The Oasis paper samples images from a larger pool (15k of MedTrinity-25M for its medical case);
``--limit`` only takes the first N in sorted order, which for a folder means one corner of the
collection. Here every sample gets a key ``sha256(seed, id)`` and the ``n`` smallest keys are
kept: the choice depends on the seed and the ids only (the same subset on every rerun and
resume, whatever the shard size), it needs two passes over the reader and memory for ``n``
keys, not for the input.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator

from mmrecipe.io.base import Reader
from mmrecipe.sample import Sample


class SampledReader:
    """Yields the ``n`` samples of ``reader`` with the smallest seeded keys, in input order.

    Records the reader already rejected (unreadable lines) are passed through, so they stay
    counted in the funnel.
    """

    def __init__(self, reader: Reader, n: int, seed: int = 0) -> None:
        self.reader = reader
        self.n = n
        self.seed = seed
        self._chosen: set[str] | None = None

    def _key(self, sample_id: str) -> int:
        digest = hashlib.sha256(f"{self.seed}\x1f{sample_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def _choose(self) -> set[str]:
        heap: list[tuple[int, str]] = []  # max-heap of the n smallest keys, by negation
        for sample in self.reader:
            if sample.rejected:
                continue
            item = (-self._key(sample.id), sample.id)
            if len(heap) < self.n:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        return {sid for _, sid in heap}

    def count(self) -> int | None:
        total = self.reader.count()
        return self.n if total is None else min(self.n, total)

    def __iter__(self) -> Iterator[Sample]:
        if self._chosen is None:
            self._chosen = self._choose()
        for sample in self.reader:
            if sample.rejected or sample.id in self._chosen:
                yield sample
