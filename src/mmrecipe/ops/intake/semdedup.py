"""Semantic deduplication (SemDeDup, Abbas et al. 2023; NeMo Curator's implementation):
spherical k-means over unit embeddings, then inside each cluster drop every item whose cosine
similarity to an item ranked before it exceeds ``1 - eps``.

Memory stays bounded for millions of items: the embeddings live in a disk-backed memmap,
k-means trains on a sample, assignment and the within-cluster similarity run in blocks sized
to a fixed budget (``block_elems`` floats per matrix product).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Keep = Literal["hard", "easy", "first"]


@dataclass
class DedupResult:
    #: per item: True when it is a near-duplicate of an item that ranks before it
    removed: np.ndarray
    #: per removed item: the index of its most similar earlier item (-1 for kept items)
    duplicate_of: np.ndarray
    #: per removed item: that cosine similarity
    similarity: np.ndarray
    #: the cluster of each item
    labels: np.ndarray
    #: seconds spent in k-means training, assignment and the within-cluster pass
    timings: dict[str, float] = field(default_factory=dict)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def kmeans(
    x: np.ndarray,
    k: int,
    n_iter: int = 20,
    sample_size: int = 100_000,
    seed: int = 0,
    use_faiss: bool = False,
) -> np.ndarray:
    """Spherical k-means centroids (k, d), trained on at most ``sample_size`` rows: Lloyd
    iterations in numpy (BLAS), or faiss's ``Kmeans`` when ``use_faiss`` and installed
    (measured here on 2 shared cores, numpy was ~2x faster; faiss pays off with many cores)."""
    n = len(x)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(n, max(sample_size, k)), replace=False))
    train = _unit(np.asarray(x[rows], dtype=np.float32))
    if use_faiss:
        try:
            import faiss
        except ImportError:
            faiss = None
        if faiss is not None:
            km = faiss.Kmeans(
                train.shape[1], k, niter=n_iter, seed=seed, spherical=True, verbose=False
            )
            km.train(train)
            return _unit(km.centroids)
    centroids = train[rng.choice(len(train), size=k, replace=False)].copy()
    for _ in range(n_iter):
        labels, _ = assign(train, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, train)
        counts = np.bincount(labels, minlength=k)
        empty = counts == 0
        if empty.any():  # re-seed empty clusters from random points
            sums[empty] = train[rng.choice(len(train), size=int(empty.sum()), replace=False)]
        centroids = _unit(sums)
    return centroids


def assign(
    x: np.ndarray, centroids: np.ndarray, block_elems: int = 1 << 24
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid (by cosine) of each row, in blocks: (labels int32, cosine float32)."""
    n = len(x)
    labels = np.empty(n, dtype=np.int32)
    sims = np.empty(n, dtype=np.float32)
    block = max(1, block_elems // max(len(centroids), 1))
    for start in range(0, n, block):
        chunk = _unit(np.asarray(x[start : start + block], dtype=np.float32))
        s = chunk @ centroids.T
        labels[start : start + len(chunk)] = s.argmax(axis=1)
        sims[start : start + len(chunk)] = s.max(axis=1)
    return labels, sims


def dedup_cluster(
    x: np.ndarray, order: np.ndarray, eps: float, block_elems: int = 1 << 24
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Within one cluster whose rows are ``x`` (unit vectors) ranked by ``order`` (kept first):
    per row, whether an earlier-ranked row is closer than ``1 - eps``, which, and how close."""
    ranked = x[order]
    m = len(ranked)
    best_sim = np.full(m, -np.inf, dtype=np.float32)
    best_idx = np.full(m, -1, dtype=np.int64)
    block = max(1, block_elems // max(m, 1))
    for start in range(1, m, block):
        stop = min(m, start + block)
        sims = ranked[start:stop] @ ranked[:stop].T  # (rows, earlier-or-same)
        rows = np.arange(start, stop)
        mask = np.arange(stop)[None, :] >= rows[:, None]  # only strictly earlier items count
        sims[mask] = -np.inf
        best_idx[start:stop] = sims.argmax(axis=1)
        best_sim[start:stop] = sims.max(axis=1)
    removed_ranked = best_sim > 1.0 - eps
    removed = np.zeros(m, dtype=bool)
    dup = np.full(m, -1, dtype=np.int64)
    sim = np.zeros(m, dtype=np.float32)
    removed[order] = removed_ranked
    dup[order] = np.where(removed_ranked, order[np.clip(best_idx, 0, None)], -1)
    sim[order] = np.where(removed_ranked, best_sim, 0.0)
    return removed, dup, sim


def semantic_dedup(
    x: np.ndarray,
    eps: float,
    n_clusters: int,
    keep: Keep = "hard",
    n_iter: int = 20,
    sample_size: int = 100_000,
    seed: int = 0,
    block_elems: int = 1 << 24,
    use_faiss: bool = False,
) -> DedupResult:
    """Cluster the rows of ``x`` (any array-like, e.g. a memmap) and mark near-duplicates.

    ``keep`` decides which of a duplicate group survives: ``hard`` the item farthest from its
    cluster centroid (SemDeDup's default: the least prototypical), ``easy`` the closest,
    ``first`` the earliest in input order."""
    n = len(x)
    removed = np.zeros(n, dtype=bool)
    duplicate_of = np.full(n, -1, dtype=np.int64)
    similarity = np.zeros(n, dtype=np.float32)
    if n == 0:
        return DedupResult(removed, duplicate_of, similarity, np.zeros(0, dtype=np.int32))
    t0 = time.perf_counter()
    centroids = kmeans(
        x, n_clusters, n_iter=n_iter, sample_size=sample_size, seed=seed, use_faiss=use_faiss
    )
    t1 = time.perf_counter()
    labels, to_centroid = assign(x, centroids, block_elems)
    t2 = time.perf_counter()
    by_cluster = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[by_cluster], np.arange(len(centroids) + 1))
    for c in range(len(centroids)):
        members = by_cluster[bounds[c] : bounds[c + 1]]  # ascending input order
        if len(members) < 2:
            continue
        vectors = _unit(np.asarray(x[members], dtype=np.float32))
        if keep == "first":
            order = np.arange(len(members))
        elif keep == "hard":
            order = np.argsort(to_centroid[members], kind="stable")
        else:
            order = np.argsort(-to_centroid[members], kind="stable")
        rem, dup, sim = dedup_cluster(vectors, order, eps, block_elems)
        removed[members] = rem
        duplicate_of[members] = np.where(rem, members[np.clip(dup, 0, None)], -1)
        similarity[members] = sim
    timings = {"kmeans": t1 - t0, "assign": t2 - t1, "within_clusters": time.perf_counter() - t2}
    return DedupResult(removed, duplicate_of, similarity, labels, timings)
