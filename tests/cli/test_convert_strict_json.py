"""``mmrecipe convert`` writes strict JSON even when the source holds NaN or Infinity."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mmrecipe.cli import main


def test_convert_turns_non_finite_numbers_into_null(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    conv = '[{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]'
    source.write_text(f'{{"id": "a", "conversations": {conv}, "score": -Infinity}}\n')
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["convert", str(source), str(target), "--to", "samples"])
    assert result.exit_code == 0, result.output

    def refuse(name: str) -> None:
        raise ValueError(name)

    record = json.loads(target.read_text(), parse_constant=refuse)
    assert record["fields"]["score"] is None
    assert record["trace"]["non_finite"] == ["fields.score = -inf"]
