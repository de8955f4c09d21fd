"""Geometry: the theorem chain agrees with the drawn construction, difficulty = chain length."""

from __future__ import annotations

import random

import pytest

from mmrecipe.synth.base import item_rng
from mmrecipe.synth.geometry import FAMILIES, GeometryGenerator, _givens


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_step_of_every_family_matches_its_measurement(family: str) -> None:
    most, build = FAMILIES[family]
    rng = random.Random(3)
    for _ in range(30):
        fig, steps = build(_givens(family, rng), most)
        assert len(steps) == most
        for step in steps:
            assert fig.measure(step.measure) == pytest.approx(step.value, rel=1e-9, abs=1e-9)


def test_difficulty_is_the_number_of_reasoning_steps() -> None:
    gen = GeometryGenerator()
    for level in range(1, 6):
        item = gen.make(item_rng(0, "geometry", level), level)
        assert item.ground_truth["steps"] == level
        assert item.rationale is not None
        assert item.rationale.count("Step ") == level
        assert item.answer in item.rationale.splitlines()[-1]


def test_question_is_written_from_the_result_and_states_the_givens() -> None:
    item = GeometryGenerator().make(item_rng(0, "geometry", 11), 3)
    # the question = the construction that leads to the result, then the ask for the result
    assert item.question.startswith(item.extra["caption"])
    assert item.ground_truth["target"] in item.question[len(item.extra["caption"]) :]


def test_verifier_catches_a_corrupted_construction() -> None:
    gen = GeometryGenerator()
    item = gen.make(item_rng(0, "geometry", 5), 2)
    truth = dict(item.ground_truth, family="no_such_family")
    assert "unknown geometry family" in (gen.verify(truth, item.answer) or "")
