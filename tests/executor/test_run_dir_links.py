"""A run dir holding a planted symbolic link (``state/answers/x.txt -> ~/.bashrc``, a run dir
received from someone else) is refused before anything is written: mmrecipe never writes
through a link in its run dir, and the link's target is untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mmrecipe.cli import main
from mmrecipe.errors import ConfigError

RECIPE = """
name: links-test
input: {format: llava}
ops:
  - {op: set_fields, name: tag, values: {domain: test}}
output: {formats: [llava]}
"""


def _run(tmp_path: Path, run: Path) -> object:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    data = tmp_path / "in.jsonl"
    conv = [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a b"}]
    data.write_text(json.dumps({"id": "a", "conversations": conv}) + "\n")
    args = ["run", str(recipe), "--input", str(data), "-o", str(run), "--quiet"]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize(
    "planted", ["state/answers/abc.txt", "models/model.bin", "stats.json.tmp", "recipe.yaml"]
)
def test_a_planted_link_is_refused_and_its_target_untouched(tmp_path: Path, planted: str) -> None:
    run = tmp_path / "run"
    first = _run(tmp_path, run)
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    target = tmp_path / "bashrc"
    target.write_text("precious")
    link = run / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(target)
    again = _run(tmp_path, run)
    assert isinstance(again.exception, ConfigError)  # type: ignore[attr-defined]
    assert "symbolic link" in str(again.exception)  # type: ignore[attr-defined]
    assert target.read_text() == "precious"


def test_a_planted_report_tmp_link_is_replaced(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert _run(tmp_path, run).exit_code == 0  # type: ignore[attr-defined]
    target = tmp_path / "bashrc"
    target.write_text("precious")
    (run / "report.html.tmp").symlink_to(target)
    result = CliRunner().invoke(main, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == "precious" and (run / "report.html").is_file()
