"""The synth_* source ops through the CLI: LLaVA JSONL + Parquet + images, ground truth kept."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mmrecipe.cli import main
from mmrecipe.synth.base import get_generator
from mmrecipe.testing.records import data_records

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", ["chart", "table", "formula", "document"])
def test_recipe_runs_with_limit(kind: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    recipe = REPO / "recipes" / f"synth-{kind}.yaml"
    result = CliRunner().invoke(main, ["run", str(recipe), "-o", str(out), "--limit", "5"])
    assert result.exit_code == 0, result.output
    records = data_records(out / "data")
    assert len(records) == 5
    generator = get_generator(kind)()
    for rec in records:
        assert (out / rec["image"]).is_file()
        assert rec["conversations"][0]["value"].startswith("<image>")
        assert generator.verify(rec["ground_truth"], rec["answer"]) is None
    table = pq.read_table(sorted(out.glob("data/parquet/*.parquet"))[0])
    assert table.num_rows == 5


def test_bad_difficulty_is_a_config_error(tmp_path: Path) -> None:
    recipe = REPO / "recipes" / "synth-chart.yaml"
    result = CliRunner().invoke(main, ["validate", str(recipe), "--set", "ops.chart.difficulty=7"])
    assert result.exit_code != 0
    assert "difficulty" in result.output + str(result.exception)
