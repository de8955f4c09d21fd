"""The paper's thresholds on stored scores: no model involved, every failed check named."""

from __future__ import annotations

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.registry import build_op
from mmrecipe.sample import Sample


def gate(scores: dict[str, float], **params) -> Sample:
    op = build_op("oasis_quality_gate", "qc_gate", params)
    (sample,) = op.process_batch([Sample(id="s", scores=scores)])
    return sample


def scores(s: int = 5, c: int = 5, h: int = 5, n: int = 5) -> dict[str, float]:
    return {"solvability": s, "clarity": c, "hallucination": h, "nonsense": n}


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (scores(), None),
        (scores(s=3, c=4), None),  # 3 + 4 = 7: the paper's lowest pass
        (scores(h=4), "hallucination"),
        (scores(n=4), "nonsense"),
        (scores(s=2), "low_solvability"),
        (scores(c=2, s=5), "low_clarity"),
        (scores(s=3, c=3), "low_solvability_plus_clarity"),
    ],
)
def test_paper_thresholds(given: dict[str, float], reason: str | None) -> None:
    sample = gate(given)
    assert (sample.rejection.reason if sample.rejection else None) == reason


def test_detail_lists_every_failed_check() -> None:
    sample = gate(scores(s=2, c=2, h=3))
    assert sample.rejection.reason == "hallucination"
    assert sample.rejection.detail == (
        "hallucination 3 < 5; solvability 2 < 3; clarity 2 < 3; solvability + clarity 4 < 7"
    )


def test_missing_score_and_switched_off_checks() -> None:
    partial = {"solvability": 5, "clarity": 5, "hallucination": 5}
    assert gate(partial).rejection.reason == "missing_score"
    assert "nonsense" in gate(partial).rejection.detail
    assert gate(partial, nonsense_min=None).rejection is None


def test_thresholds_are_validated() -> None:
    with pytest.raises(ConfigError, match="hallucination_min"):
        build_op("oasis_quality_gate", "g", {"hallucination_min": 6})
