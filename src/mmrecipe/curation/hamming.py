"""Which 64-bit hashes lie within a Hamming radius of each other, without comparing all pairs.

Small sets are compared exactly, all pairs in numpy blocks (``np.bitwise_count``). Large sets
use bit-sampling LSH: each table keys every hash by ``bits`` randomly chosen bit positions
(packed with one 256-entry table per byte), sorts the keys, and only hashes sharing a key are
compared. A pair at distance d meets in one table with probability C(64-d, bits) / C(64,
bits), so the number of tables is chosen for ``recall`` at the radius itself (closer pairs are
found almost surely). More bits mean fewer candidates but more tables; 18 bits was fastest for
1M hashes at radius 10 (measured against 16, 17 and 20). Exact multi-index hashing was ruled
out on paper: at radius 10, four 16-bit substrings need every substring within 2 bits probed
(137 probes each, ~15 hashes per bucket at 1M: ~8k candidates per query), versus ~2 per table
here. ``benchmarks/near_dedup.py`` measures 1M hashes and the recall against the exact scan.

Identical hashes are collapsed first (blank images, byte-identical copies), so a huge group of
equal hashes never becomes a quadratic bucket.
"""

from __future__ import annotations

from math import ceil, comb, log

import numpy as np

#: above this many query x index comparisons, LSH replaces the exact scan
EXACT_LIMIT = 400_000_000
_BLOCK = 1 << 22  # comparisons per numpy block of the exact scan


def popcount_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise Hamming distance of two uint64 arrays."""
    return np.bitwise_count(np.bitwise_xor(a, b)).astype(np.int64)


def lsh_tables(radius: int, bits: int, recall: float) -> int:
    """How many bit-sampling tables find a pair at ``radius`` with probability ``recall``."""
    p = comb(64 - radius, bits) / comb(64, bits)
    if p >= 1.0:
        return 1
    return max(1, ceil(log(1.0 - recall) / log(1.0 - p)))


def _exact(
    queries: np.ndarray, index: np.ndarray, radius: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = max(1, _BLOCK // max(1, len(index)))
    qs, xs, ds = [], [], []
    for start in range(0, len(queries), rows):
        block = queries[start : start + rows]
        dist = np.bitwise_count(block[:, None] ^ index[None, :])
        q, x = np.nonzero(dist <= radius)
        qs.append(q + start)
        xs.append(x)
        ds.append(dist[q, x].astype(np.int64))
    if not qs:
        return _empty()
    return np.concatenate(qs), np.concatenate(xs), np.concatenate(ds)


def _lsh(
    queries: np.ndarray,
    index: np.ndarray,
    radius: int,
    *,
    bits: int,
    recall: float,
    seed: int,
    max_bucket: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    found: list[np.ndarray] = []
    n_index = np.uint64(len(index))
    for _ in range(lsh_tables(radius, bits, recall)):
        positions = rng.choice(64, size=bits, replace=False).astype(np.uint64)
        qkey = _key(queries, positions)
        ikey = _key(index, positions)
        order = np.argsort(ikey, kind="stable")
        sorted_keys = ikey[order]
        lo = np.searchsorted(sorted_keys, qkey, "left")
        count = np.minimum(np.searchsorted(sorted_keys, qkey, "right") - lo, max_bucket)
        total = int(count.sum())
        if not total:
            continue
        q = np.repeat(np.arange(len(queries)), count)
        offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        x = order[np.repeat(lo, count) + offsets]
        keep = popcount_distance(queries[q], index[x]) <= radius
        found.append(q[keep].astype(np.uint64) * n_index + x[keep].astype(np.uint64))
    return _decoded(found, n_index, queries, index)


def _lsh_self(
    values: np.ndarray,
    radius: int,
    *,
    bits: int,
    recall: float,
    seed: int,
    max_bucket: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LSH of a set against itself: each table sorts the keys once and compares neighbours
    within a bucket (i < j), half the candidates of a query/index join."""
    rng = np.random.default_rng(seed)
    n = np.uint64(len(values))
    found: list[np.ndarray] = []
    for _ in range(lsh_tables(radius, bits, recall)):
        positions = rng.choice(64, size=bits, replace=False).astype(np.uint64)
        key = _key(values, positions)
        order = np.argsort(key)
        sorted_keys = key[order]
        sorted_values = values[order]
        # bucket of each sorted position: its end; pair each position with the rest of it
        change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
        ends = np.append(change, len(order))
        end_of = np.repeat(ends, np.diff(np.concatenate(([0], ends))))
        count = np.minimum(end_of - np.arange(len(order)) - 1, max_bucket)
        starts = np.flatnonzero(count)  # most buckets hold one hash: skip them early
        count = count[starts]
        total = int(count.sum())
        if not total:
            continue
        first = np.repeat(starts, count)
        second = first + 1 + (np.arange(total) - np.repeat(np.cumsum(count) - count, count))
        keep = popcount_distance(sorted_values[first], sorted_values[second]) <= radius
        a, b = order[first[keep]], order[second[keep]]
        lo, hi = np.minimum(a, b).astype(np.uint64), np.maximum(a, b).astype(np.uint64)
        found.append(lo * n + hi)
    return _decoded(found, n, values, values)


def self_pairs(
    hashes: np.ndarray,
    radius: int,
    *,
    method: str = "auto",
    bits: int = 18,
    recall: float = 0.95,
    seed: int = 0,
    max_bucket: int = 4096,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs (i < j, distance) of one set within ``radius``; identical hashes are
    collapsed before searching and every copy is paired after."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    uniq, inverse = np.unique(hashes, return_inverse=True)
    if method == "auto":
        method = "exact" if len(uniq) ** 2 <= EXACT_LIMIT else "lsh"
    if method == "exact":
        a, b, d = _exact(uniq, uniq, radius)
        keep = a < b
        a, b, d = a[keep], b[keep], d[keep]
    else:
        a, b, d = _lsh_self(
            uniq, radius, bits=bits, recall=recall, seed=seed, max_bucket=max_bucket
        )
    members = np.argsort(inverse, kind="stable")  # original positions, grouped by hash
    if len(uniq) == len(hashes):
        i, j = members[a], members[b]
        return np.minimum(i, j), np.maximum(i, j), d
    groups: list[list[int]] = [[] for _ in range(len(uniq))]
    for pos in members.tolist():
        groups[int(inverse[pos])].append(pos)
    out: list[tuple[int, int, int]] = []
    for group in groups:  # copies of one hash: distance 0
        out.extend((i, j, 0) for k, i in enumerate(group) for j in group[k + 1 :])
    for ua, ub, dist in zip(a.tolist(), b.tolist(), d.tolist(), strict=True):
        out.extend((min(i, j), max(i, j), dist) for i in groups[ua] for j in groups[ub])
    if not out:
        return _empty()
    arr = np.array(out, dtype=np.int64)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def _key(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The sampled bits of each value packed into a key, one 256-entry table per byte."""
    dtype = np.uint32 if len(positions) <= 32 else np.uint64
    key = np.zeros(len(values), dtype=dtype)
    byte = np.arange(256, dtype=np.uint64)
    for b in range(8):
        table = np.zeros(256, dtype=np.uint64)
        for j, pos in enumerate(positions.tolist()):
            if b * 8 <= pos < b * 8 + 8:
                table |= ((byte >> np.uint64(pos - b * 8)) & np.uint64(1)) << np.uint64(j)
        if table.any():
            index = (values >> np.uint64(8 * b)).astype(np.uint8)
            key |= table.astype(dtype)[index]
    return key


def _decoded(
    found: list[np.ndarray], n: np.uint64, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct pairs encoded as ``i * n + j`` across the tables, decoded, with their
    distances (``left[i]`` to ``right[j]``)."""
    if not found:
        return _empty()
    pairs = np.unique(np.concatenate(found))
    i = (pairs // n).astype(np.int64)
    j = (pairs % n).astype(np.int64)
    return i, j, popcount_distance(left[i], right[j])


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = np.zeros(0, dtype=np.int64)
    return e, e, e


def radius_pairs(
    queries: np.ndarray,
    index: np.ndarray,
    radius: int,
    *,
    method: str = "auto",
    bits: int = 16,
    recall: float = 0.95,
    seed: int = 0,
    max_bucket: int = 4096,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (query position, index position, distance) with distance <= ``radius``.

    ``method``: ``exact`` (all pairs), ``lsh``, or ``auto`` (exact up to ``EXACT_LIMIT``
    comparisons). Identical index hashes are collapsed before searching and expanded after.
    """
    queries = np.ascontiguousarray(queries, dtype=np.uint64)
    index = np.ascontiguousarray(index, dtype=np.uint64)
    uniq, inverse = np.unique(index, return_inverse=True)
    if method == "auto":
        method = "exact" if len(queries) * len(uniq) <= EXACT_LIMIT else "lsh"
    if method == "exact":
        q, u, d = _exact(queries, uniq, radius)
    else:
        q, u, d = _lsh(
            queries, uniq, radius, bits=bits, recall=recall, seed=seed, max_bucket=max_bucket
        )
    # expand each unique hash back to every index position holding it
    members = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[members], np.arange(len(uniq)))
    sizes = np.bincount(inverse, minlength=len(uniq))
    count = sizes[u]
    total = int(count.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    x = members[np.repeat(starts[u], count) + offsets]
    return np.repeat(q, count), x, np.repeat(d, count)


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def groups(self) -> dict[int, list[int]]:
        """Root -> members in increasing order, for every set with more than one member."""
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return {r: m for r, m in out.items() if len(m) > 1}
