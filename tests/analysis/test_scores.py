"""Score distributions: ratings counted per value, continuous scores binned, junk ignored."""

from __future__ import annotations

from mmrecipe.analysis import scores
from mmrecipe.analysis.scores import ScoreDistributions


def test_ratings_line_up_kept_and_rejected() -> None:
    dist = ScoreDistributions()
    for v in (5, 5, 4.0):
        dist.add({"clarity": v}, "kept")
    for v in (1, 2, 2):
        dist.add({"clarity": v}, "rejected")
    entry = dist.result()["clarity"]
    assert entry["binned"] is False
    assert entry["kept"] == {"1": 0, "2": 0, "4": 1, "5": 2}
    assert entry["rejected"] == {"1": 1, "2": 2, "4": 0, "5": 0}
    assert entry["kept_mean"] == round(14 / 3, 4) and entry["rejected_count"] == 3


def test_continuous_scores_are_binned_with_distinct_labels() -> None:
    dist = ScoreDistributions()
    for i in range(100):
        dist.add({"clip": 1000 + i / 100}, "kept")  # a narrow range far from zero
    entry = dist.result()["clip"]
    assert entry["binned"] is True
    assert len(entry["kept"]) == 20 and sum(entry["kept"].values()) == 100
    assert sum(entry["rejected"].values()) == 0
    assert entry["bins"][0] == 1000 and entry["bins"][-1] == 1000.99


def test_non_numeric_scores_are_ignored() -> None:
    dist = ScoreDistributions()
    dist.add({"ok": True, "label": "good", "nan": float("nan"), "n": 3}, "kept")
    dist.add(None, "rejected")
    assert list(dist.result()) == ["n"]


def test_memory_stays_bounded_for_continuous_scores(monkeypatch) -> None:
    monkeypatch.setattr(scores, "MAX_TRACKED", 50)
    dist = ScoreDistributions()
    for i in range(1000):
        dist.add({"x": i / 997}, "kept")
    assert len(dist.values["x"]["kept"]) <= 50
    assert sum(dist.result()["x"]["kept"].values()) == 1000
