from __future__ import annotations

import random
from pathlib import Path

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.synth.base import get_generator, item_rng
from mmrecipe.synth.chart import CHART_TYPES, ChartGenerator


def test_registered_and_deterministic(tmp_path: Path, determinism) -> None:
    assert get_generator("chart") is ChartGenerator
    determinism(ChartGenerator(), tmp_path)


def test_verifier_accepts_own_answers_and_rejects_tampered(verifier) -> None:
    tasks = verifier(ChartGenerator(), 60)
    assert {"value", "to_csv", "extrema"} <= tasks


@pytest.mark.parametrize("ctype", CHART_TYPES)
def test_every_chart_type_renders_and_verifies(ctype: str, verifier) -> None:
    verifier(ChartGenerator(chart_types=[ctype]), 4)


def test_arithmetic_comes_with_a_chain_of_thought() -> None:
    gen = ChartGenerator(chart_types=["bar"], tasks=["sum"])
    item = gen.make(random.Random(3), 2)
    assert item.rationale and "sum" in item.rationale
    assert item.answer in item.rationale


def test_compare_rejects_the_other_category() -> None:
    gen = ChartGenerator(chart_types=["bar"], tasks=["compare"])
    item = gen.make(item_rng(1, "chart", 0), 1)
    q, cats = item.ground_truth["question"], item.ground_truth["table"]["categories"]
    other = ({cats[q["index"]], cats[q["other"]]} - {item.answer}).pop()
    assert gen.verify(item.ground_truth, other)
    assert gen.verify(item.ground_truth, item.answer.upper() + ".") is None


def test_table_answers_accept_any_table_format() -> None:
    gen = ChartGenerator(chart_types=["line"], tasks=["to_csv"])
    item = gen.make(random.Random(5), 2)
    rows = [line.split(",") for line in item.answer.splitlines()]
    markdown = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    assert gen.verify(item.ground_truth, markdown) is None


def test_unknown_filters_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown chart type"):
        ChartGenerator(chart_types=["radar"])
    with pytest.raises(ConfigError, match="no chart type"):
        ChartGenerator(chart_types=["scatter"], tasks=["trend"])
