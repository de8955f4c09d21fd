"""What a reviewer of synthesized data checks: varied prompts, distinct images, answers in the
asked format, questions that read as English, plausible values, honest ids and difficulty."""

from __future__ import annotations

import collections
import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mmrecipe.cli import main
from mmrecipe.errors import ConfigError
from mmrecipe.ops.synthesis.synth_mix import SynthMix
from mmrecipe.synth.answer_format import format_problem
from mmrecipe.synth.base import all_generators, item_rng
from mmrecipe.synth.source import generate_samples
from mmrecipe.synth.table import _make_table

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The README's quickstart, all 300 samples, read back from samples/."""
    run = tmp_path_factory.mktemp("qs") / "run"
    result = CliRunner().invoke(
        main, ["run", str(REPO / "recipes" / "quickstart.yaml"), "-o", str(run), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads((run / "stats.json").read_text())
    assert stats["totals"]["rejected"] == 0, stats  # every answer verified, format included
    return [json.loads(x) for f in sorted((run / "samples").glob("*.jsonl")) for x in open(f)]


@pytest.mark.slow
def test_quickstart_prompts_vary_and_images_are_distinct(quickstart: list[dict]) -> None:
    prompts = [r["messages"][0]["content"] for r in quickstart]
    assert len(quickstart) == 300
    assert len(set(prompts)) >= 0.9 * len(prompts), collections.Counter(prompts).most_common(5)
    shas = collections.Counter(im["sha256"] for r in quickstart for im in r["images"])
    assert [s for s, n in shas.items() if n > 1] == []


@pytest.mark.slow
def test_questions_read_as_english(quickstart: list[dict]) -> None:
    """Rules a reviewer states: a/an agree, no template holes, no doubled words, no "Consider
    ..." sentence introducing the quantity the question then asks for."""
    for r in quickstart:
        question = r["messages"][0]["content"].replace("<image>", "").strip()
        assert not re.search(r"\ba [aeio]\w", question, re.I), question
        assert not re.search(r"\ban [bcdfgjklmnpqrstvwxz]\w", question, re.I), question
        assert not re.search(r"[{}]", question.replace('{"text"', "")) or "JSON" in question
        assert not re.search(r"\b(\w+) \1\b", question, re.I), question
        assert "Consider" not in question, question
        assert "average Sold" not in question and "have a Exports" not in question


def test_format_rules() -> None:
    assert format_problem("Round to two decimal places.", "12.2") is not None
    assert format_problem("Round to two decimal places.", "12.20") is None
    assert format_problem("Answer 'increase' or 'decrease'.", "Increase.") is not None
    assert format_problem("Answer as (x, y).", "(3, 4)") is None
    assert format_problem("Answer as (x, y).", "3, 4") is not None
    assert format_problem("What is the value?", "anything") is None


def test_every_rounded_answer_has_two_decimals() -> None:
    """The question families that ask for two decimals, at every level, answer with two."""
    checked = 0
    for kind in ("geometry", "chart", "table", "chart_refocus"):
        gen = all_generators()[kind]()
        for level in range(1, gen.levels + 1):
            for i in range(40):
                item = gen.make(item_rng(3, kind, i), level)
                question = item.question or (item.extra.get("question") or "")
                if "two decimal" in question:
                    checked += 1
                    assert format_problem(question, item.answer) is None, (question, item.answer)
    assert checked >= 20


def test_table_values_are_plausible() -> None:
    """Years of service never exceed age - 18, whichever columns a table shows."""
    seen = 0
    for i in range(400):
        table = _make_table(random.Random(i), 3)
        header = table["header"]
        if "Age" in header and "Years of service" in header:
            a, y = header.index("Age"), header.index("Years of service")
            for row in table["rows"]:
                assert float(row[y]) <= float(row[a]) - 18, row
                seen += 1
    assert seen > 20


def test_ids_depend_on_difficulty(tmp_path: Path) -> None:
    gen = all_generators()["geometry"]()
    one = generate_samples(gen, 0, 1, 0, 1, tmp_path)[0]
    two = generate_samples(gen, 0, 1, 0, 2, tmp_path)[0]
    assert one.id != two.id
    assert (one.fields["difficulty"], two.fields["difficulty"]) == (1, 2)


def test_difficulty_beyond_every_generator_is_refused() -> None:
    with pytest.raises(ConfigError, match="chart 1-3"):
        SynthMix({"chart": 1, "table": 1}, difficulty=1, max_difficulty=9)
    SynthMix({"chart": 1, "geometry": 1}, difficulty=1, max_difficulty=5)  # geometry has 5


def test_validate_refuses_an_unreachable_difficulty(tmp_path: Path) -> None:
    recipe = REPO / "recipes" / "synth-chart.yaml"
    result = CliRunner().invoke(main, ["validate", str(recipe), "--set", "ops.chart.difficulty=9"])
    assert isinstance(result.exception, ConfigError), result.output  # the CLI: one line, exit 2


def test_every_synth_recipe_verifies() -> None:
    import yaml

    for path in [
        *sorted((REPO / "recipes").glob("synth-*.yaml")),
        REPO / "recipes" / "quickstart.yaml",
    ]:
        ops = [s["op"] for s in yaml.safe_load(path.read_text())["ops"]]
        assert "synth_verify" in ops, path.name
