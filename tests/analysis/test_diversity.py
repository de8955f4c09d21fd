"""Type-token ratio: corpus TTR and the moving-average TTR, checked by hand."""

from __future__ import annotations

import pytest

from mmrecipe.analysis.diversity import TypeTokenRatio


def test_corpus_ttr_and_mattr() -> None:
    ttr = TypeTokenRatio(window=3)
    ttr.add(["A", "b"])
    ttr.add(["a", "c"])  # case-folded: a b a c
    out = ttr.result()
    assert (out["types"], out["tokens"]) == (3, 4)
    assert out["ttr"] == 0.75
    # windows: [a b a] = 2/3, [b a c] = 3/3
    assert out["mattr"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-6)


def test_mattr_does_not_fall_with_corpus_size() -> None:
    small, large = TypeTokenRatio(window=10), TypeTokenRatio(window=10)
    text = [f"w{i % 20}" for i in range(40)]
    small.add(text)
    for _ in range(50):
        large.add(text)
    s, lg = small.result(), large.result()
    assert lg["ttr"] < s["ttr"] / 10  # the corpus TTR keeps falling
    assert lg["mattr"] == pytest.approx(s["mattr"]) == 1.0


def test_short_corpus_falls_back_to_ttr() -> None:
    ttr = TypeTokenRatio(window=100)
    ttr.add(["x", "x", "y"])
    out = ttr.result()
    assert out["mattr"] == out["ttr"] and "fewer than 100" in out["mattr_note"]
