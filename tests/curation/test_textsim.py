"""MinHash-LSH and SimHash on instructions."""

from __future__ import annotations

import numpy as np

from mmrecipe.curation.textsim import MinHasher, minhash_pairs, simhash

Q1 = "What is the color of the car parked next to the red house on the left side?"
Q1_SWAP = "What is the color of the car parked next to the red house on the side left?"
Q2 = "How many people are sitting at the wooden table in this picture?"


def test_minhash_pairs_find_paraphrase_only() -> None:
    h = MinHasher(num_perm=128)
    pairs = minhash_pairs([h.signature(t) for t in (Q1, Q2, Q1_SWAP)], 0.6)
    assert [(i, j) for i, j, _ in pairs] == [(0, 2)]


def test_minhash_is_deterministic_across_instances() -> None:
    assert np.array_equal(MinHasher(seed=3).signature(Q1), MinHasher(seed=3).signature(Q1))


def test_simhash_close_for_near_duplicates() -> None:
    near = bin(simhash(Q1) ^ simhash(Q1.replace("color", "colour"))).count("1")
    far = bin(simhash(Q1) ^ simhash(Q2)).count("1")
    assert near < far
    assert simhash(Q1) == simhash(Q1.upper() + "  ")
