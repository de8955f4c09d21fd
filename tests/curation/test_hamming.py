"""Radius search: LSH finds what the exact scan finds; collapsed duplicates expand back."""

from __future__ import annotations

import numpy as np

from mmrecipe.curation.hamming import UnionFind, lsh_tables, radius_pairs


def _planted(n: int, radius: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 1 << 63, size=n, dtype=np.uint64) << np.uint64(1)
    for i in range(1, n, 4):
        flips = rng.choice(64, size=int(rng.integers(0, radius + 1)), replace=False)
        hashes[i] = hashes[i - 1] ^ np.uint64(sum(1 << int(b) for b in flips))
    return hashes


def _pairs(q: np.ndarray, x: np.ndarray) -> set[tuple[int, int]]:
    return {(a, b) for a, b in zip(q.tolist(), x.tolist(), strict=True) if a < b}


def test_lsh_recall_against_exact() -> None:
    hashes = _planted(3000, 10)
    exact = _pairs(*radius_pairs(hashes, hashes, 10, method="exact")[:2])
    lsh = _pairs(*radius_pairs(hashes, hashes, 10, method="lsh")[:2])
    assert len(exact) >= 700
    assert lsh <= exact  # every LSH pair is verified
    assert len(lsh & exact) / len(exact) >= 0.95


def test_identical_hashes_collapse_and_expand() -> None:
    hashes = np.array([5, 5, 5, 1 << 40], dtype=np.uint64)
    q, x, d = radius_pairs(hashes, hashes, 0, method="lsh")
    assert _pairs(q, x) == {(0, 1), (0, 2), (1, 2)}
    assert set(d.tolist()) == {0}


def test_tables_grow_with_radius() -> None:
    assert lsh_tables(4, 16, 0.95) < lsh_tables(10, 16, 0.95)


def test_union_find_groups() -> None:
    uf = UnionFind(5)
    uf.union(0, 3)
    uf.union(3, 4)
    assert list(uf.groups().values()) == [[0, 3, 4]]


def test_self_pairs_match_the_exact_scan() -> None:
    from mmrecipe.curation.hamming import self_pairs

    hashes = _planted(3000, 10)
    hashes[7] = hashes[3]  # a copy
    exact = _pairs(*radius_pairs(hashes, hashes, 10, method="exact")[:2])
    both = {
        m: set(zip(*[x.tolist() for x in self_pairs(hashes, 10, method=m)[:2]], strict=True))
        for m in ("exact", "lsh")
    }
    assert both["exact"] == exact
    assert both["lsh"] <= exact and len(both["lsh"]) / len(exact) >= 0.95
    assert (3, 7) in both["lsh"]
