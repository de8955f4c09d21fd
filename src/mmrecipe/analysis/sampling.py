"""A bounded, deterministic sample of a stream: the ``k`` items with the smallest hash of
their key. Unlike a random reservoir it does not depend on the order shards were written in,
so two analyses of the same run (or of a resumed run) pick the same items."""

from __future__ import annotations

import hashlib
import heapq
from typing import Generic, TypeVar

T = TypeVar("T")


def stable_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


class HashSample(Generic[T]):
    """Keeps at most ``k`` items: those whose key hashes lowest."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.seen = 0
        self._heap: list[tuple[int, str, T]] = []  # max-heap on hash via negation

    def add(self, key: str, item: T) -> None:
        self.seen += 1
        if self.k <= 0:
            return
        h = stable_hash(key)
        entry = (-h, key, item)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, entry)
        elif -h > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def items(self) -> list[T]:
        """The kept items in hash order (so any prefix is itself a deterministic sample)."""
        return [item for _, _, item in sorted(self._heap, key=lambda e: (-e[0], e[1]))]

    @property
    def complete(self) -> bool:
        """True when nothing was left out."""
        return self.seen <= self.k
