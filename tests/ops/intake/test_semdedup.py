"""Semantic dedup on embeddings with planted near-duplicates."""

from __future__ import annotations

import numpy as np
import pytest

from mmrecipe.ops.intake.semdedup import dedup_cluster, semantic_dedup


def _planted() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 16)).astype(np.float32)
    x[300] = x[5] + 0.01 * rng.normal(size=16)  # near-duplicate of 5
    x[301] = x[5]  # exact duplicate of 5
    x[350] = x[7] * 3.0  # same direction: cosine 1
    return x


@pytest.mark.parametrize("use_faiss", [False, True])
def test_finds_exactly_the_planted_duplicates(use_faiss: bool) -> None:
    if use_faiss:
        pytest.importorskip("faiss")
    result = semantic_dedup(_planted(), eps=0.01, n_clusters=6, keep="first", use_faiss=use_faiss)
    assert np.flatnonzero(result.removed).tolist() == [300, 301, 350]
    assert result.duplicate_of[[300, 301, 350]].tolist() == [5, 5, 7]
    assert (result.similarity[[300, 301, 350]] > 0.99).all()
    assert (result.duplicate_of[~result.removed] == -1).all()


def test_keep_policy_decides_the_survivor() -> None:
    # unit vectors: a (the centroid direction) and b, c near-identical and farther from it
    x = np.array([[1.0, 0.0], [0.8, 0.6], [0.8, 0.6001]], dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    order_first = np.arange(3)
    removed, dup, _ = dedup_cluster(x, order_first, eps=0.01)
    assert removed.tolist() == [False, False, True] and dup[2] == 1
    removed, dup, _ = dedup_cluster(x, np.array([0, 2, 1]), eps=0.01)  # 2 ranked before 1
    assert removed.tolist() == [False, True, False] and dup[1] == 2


def test_blocks_do_not_change_the_answer() -> None:
    x = _planted()
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    big = dedup_cluster(x, np.arange(len(x)), eps=0.05)
    small = dedup_cluster(x, np.arange(len(x)), eps=0.05, block_elems=500)  # 1-row blocks
    assert (big[0] == small[0]).all() and (big[1] == small[1]).all()


def test_eps_zero_removes_only_exact_directions() -> None:
    result = semantic_dedup(_planted(), eps=1e-6, n_clusters=4, keep="first", use_faiss=False)
    assert np.flatnonzero(result.removed).tolist() == [301, 350]
