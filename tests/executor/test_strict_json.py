"""Every file a run writes is strict JSON: non-finite numbers (an Infinity score, a -inf
logprob) become null with a flag naming them; ``report`` renders runs written before that."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mmrecipe.cli import main

HERE = Path(__file__).resolve().parent

RECIPE = """
name: strict
plugins: [slow_plugin]
input: {format: llava}
ops:
  - {op: test_non_finite, name: nonfinite}
  - {op: text_length, name: length, role: assistant, min_words: 2}
output: {formats: [llava, sharegpt, parquet], keep_fields: [nll]}
"""


def _strict(text: str) -> object:
    def refuse(name: str) -> object:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _mmrecipe(*args: str) -> None:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_non_finite_numbers_become_null_with_a_flag_and_report_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    data = tmp_path / "in.jsonl"
    with open(data, "w") as fh:
        for i, answer in enumerate(["a long enough answer", "short"]):
            conv = [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": answer}]
            fh.write(json.dumps({"id": f"s{i}", "conversations": conv}) + "\n")
    out = tmp_path / "run"
    _mmrecipe("run", str(recipe), "--input", str(data), "-o", str(out), "--quiet")

    files = [p for p in out.rglob("*") if p.suffix in (".json", ".jsonl")]
    assert len(files) >= 5
    for path in files:
        text = path.read_text()
        for line in text.splitlines() if path.suffix == ".jsonl" else [text]:
            _strict(line)
    kept = _strict((out / "samples" / "shard-00000.jsonl").read_text())
    assert kept["scores"]["ratio"] is None and kept["fields"]["nll"] is None
    assert kept["trace"]["model"]["token_logprobs"] == [[-0.5, None]]
    assert sorted(kept["trace"]["non_finite"]) == [
        "fields.nll = nan",
        "scores.ratio = inf",
        "trace.model.token_logprobs[0][1] = -inf",
    ]
    rejected = _strict((out / "rejects" / "p0-shard-00000.jsonl").read_text())
    assert rejected["reason"] == "too_short" and rejected["scores"]["ratio"] is None
    import pyarrow.parquet as pq

    table = pq.read_table(next((out / "data" / "parquet").glob("*.parquet")))
    assert _strict(table.column("scores")[0].as_py())["ratio"] is None

    # a run written before strict JSON, with Infinity and NaN in its files: report renders it
    samples = out / "samples" / "shard-00000.jsonl"
    old = json.loads(samples.read_text())
    old["scores"] = {"ratio": float("inf"), "clarity": float("nan")}
    old["trace"]["model"]["token_logprobs"] = [[float("-inf")]]
    other = {**old, "id": "s9", "scores": {"ratio": 2.0, "clarity": 4.0}}
    samples.write_text(json.dumps(old) + "\n" + json.dumps(other) + "\n")
    assert "Infinity" in samples.read_text()
    _mmrecipe("report", str(out))
    assert (out / "report.html").stat().st_size > 1000
    _mmrecipe("analyze", str(out))
    _strict((out / "analysis" / "analysis.json").read_text())
