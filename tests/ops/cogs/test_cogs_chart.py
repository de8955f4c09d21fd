"""COGS on charts: the chart-to-table view, programs bound on one chart's data run on another,
and recipes/cogs-chart.yaml against the scripted server (every answer recomputed here from the
stored chart data, new charts of the seed's type, byte-identical rerun)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mmrecipe.ops.cogs.factors import FactorError, bind_program, run_program
from mmrecipe.ops.cogs.views import CHART_KINDS, chart_table_view, seed_kind, table_view
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.server_scripts import cogs_script

REPO = Path(__file__).resolve().parents[3]
DATA = {
    "category_name": "Month",
    "categories": ["Jan", "Feb", "Mar"],
    "series": [
        {"name": "North", "values": [12.5, 40.0, 7.25]},
        {"name": "South", "values": [30.0, 30.0, 9.0]},
    ],
    "decimals": 1,
    "title": "Monthly rainfall",
    "value_label": "Rainfall (mm)",
    "unit": "",
}


def test_chart_data_is_a_table_of_categories_by_series() -> None:
    view = chart_table_view(DATA)
    assert view["header"] == ["Month", "North", "South"]
    assert view["rows"][0] == ["Jan", "12.5", "30.0"]
    assert view["decimals"] == [0, 1, 1]
    gt = {"chart": {"type": "line"}, "table": DATA, "question": {"text": "?"}}
    assert seed_kind(gt) == "chart" and table_view(gt) == view
    assert seed_kind({**gt, "chart": {"type": "pie"}}) is None  # shares are not factor rows
    assert "pie" not in CHART_KINDS and "scatter" not in CHART_KINDS


def test_a_chart_program_computes_from_the_series_and_refuses_ties() -> None:
    view = chart_table_view(DATA)
    program = bind_program(
        [
            {"factor": "lookup", "row": "feb", "column": "North"},
            {"factor": "lookup", "row": "Jan", "column": "south"},
            {"factor": "difference", "of": [1, 2]},
        ],
        view["header"],
        view["rows"],
    )
    assert [s["answer"] for s in run_program(program, view)] == ["40.0", "30.0", "10.0"]
    mean = bind_program([{"factor": "column", "column": "North"}, {"factor": "mean"}], *_hr(view))
    assert run_program(mean, view)[-1]["answer"] == "19.90"  # (12.5 + 40 + 7.2) / 3: 7.25 as drawn
    count = [{"factor": "column", "column": "North"}, {"factor": "count_above", "threshold": 10}]
    steps = run_program(bind_program(count, *_hr(view)), view)
    assert steps[-1]["answer"] == "2" and "month values" in steps[-1]["question"]
    tied = bind_program([{"factor": "column", "column": "South"}, {"factor": "argmax"}], *_hr(view))
    assert run_program(tied, view)[-1]["answer"] == "Jan"  # tables keep their first-max rule
    with pytest.raises(FactorError, match="tie"):
        run_program(tied, view, unique_extrema=True)


def _hr(view: dict) -> tuple[list[str], list[list[str]]]:
    return view["header"], view["rows"]


def _run(tmp_path: Path, url: str, name: str) -> Path:
    out = tmp_path / name
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmrecipe",
            "run",
            str(REPO / "recipes/cogs-chart.yaml"),
            "-o",
            str(out),
            "--limit",
            "12",
            "--set",
            f"backends.llm.base_url={url}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def test_chart_recipe_recomputes_every_answer_and_reruns_identically(tmp_path) -> None:
    with FakeOpenAIServer("plain", responder=cogs_script) as srv:
        first = _run(tmp_path, srv.base_url, "a")
        second = _run(tmp_path, srv.base_url, "b")
    files = sorted(
        p.relative_to(first / "data") for p in (first / "data").rglob("*") if p.is_file()
    )
    for rel in files:
        assert (first / "data" / rel).read_bytes() == (second / "data" / rel).read_bytes(), rel
    rows = pq.read_table(next((first / "data").rglob("*.parquet"))).to_pylist()
    assert len(rows) >= 8 and len(rows) % 4 == 0  # right decompositions, 4 new charts each
    factors = set()
    for row in rows:
        fields = json.loads(row["fields"])
        gt = fields["ground_truth"]
        assert gt["chart"]["type"] in CHART_KINDS and fields["chart_type"] == gt["chart"]["type"]
        assert gt["chart"]["show_values"]  # every value the sub-questions read is labelled
        steps = run_program(gt["program"], chart_table_view(gt["table"]), unique_extrema=True)
        assert steps == fields["cogs_steps"]  # recomputed from the stored chart data
        assert fields["answer"] == steps[-1]["answer"]
        factors.update(s["factor"] for s in gt["program"])
    assert {"lookup", "column"} <= factors  # value/difference and extrema seeds both recomposed
    seeds_of = {}
    for row in rows:
        fields = json.loads(row["fields"])
        seeds_of.setdefault(row["id"].rsplit("-cogs", 1)[0], set()).add(fields["chart_type"])
    assert all(len(kinds) == 1 for kinds in seeds_of.values())  # a seed's children: one kind
    llava = json.loads(next((first / "data").rglob("*.json")).read_text())
    convo = llava[0]["conversations"]
    assert convo[0]["value"].startswith("<image>\n") and len(convo) >= 4
    assert convo[-2]["value"].startswith("Looking at the chart: ")
    images = [entry["image"] for entry in llava]
    assert len(set(images)) == len(images) == len(rows)  # each on its own new chart
    assert all((first / image).is_file() for image in images)
