"""COGS: the factor algebra, decomposition checks, and the recipe against the scripted server
(every answer recomputed here from the stored table, byte-identical rerun)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mmrecipe.ops.cogs.factors import FactorError, bind_program, run_program
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.server_scripts import cogs_script

REPO = Path(__file__).resolve().parents[3]
TABLE = {
    "header": ["City", "Population", "Area"],
    "rows": [["Oslo", "700", "454"], ["Rome", "2,800", "1,285"], ["Lima", "9,700", "2,672"]],
    "decimals": [0, 0, 0],
    "numeric": [False, True, True],
}


def test_programs_bind_by_name_and_compute_on_the_table() -> None:
    program = bind_program(
        [
            {"factor": "lookup", "row": "rome", "column": "Area"},
            {"factor": "lookup", "row": "Oslo", "column": "Area"},
            {"factor": "difference", "of": [1, 2]},
        ],
        TABLE["header"],
        TABLE["rows"],
    )
    steps = run_program(program, TABLE)
    assert [s["answer"] for s in steps] == ["1,285", "454", "831"]
    folds = {"sum": "13200", "mean": "4400.00", "argmax": "Lima", "min": "700"}
    for fold, expected in folds.items():
        prog = bind_program(
            [{"factor": "column", "column": "population"}, {"factor": fold}],
            TABLE["header"],
            TABLE["rows"],
        )
        assert run_program(prog, TABLE)[-1]["answer"] == expected
    count = [{"factor": "column", "column": "Area"}, {"factor": "count_above", "threshold": 500}]
    assert (
        run_program(bind_program(count, TABLE["header"], TABLE["rows"]), TABLE)[-1]["answer"] == "2"
    )


@pytest.mark.parametrize(
    ("steps", "needle"),
    [
        ([{"factor": "guess"}], "factor must be"),
        ([{"factor": "column", "column": "Height"}, {"factor": "sum"}], "not a value column"),
        ([{"factor": "sum"}], "needs a column"),
        ([{"factor": "column", "column": "Area"}], "last step"),
        ([{"factor": "lookup", "row": "Paris", "column": "Area"}], "not in the table"),
        ([{"factor": "column", "column": "Area"}, {"factor": "count_above"}], "threshold"),
        (
            [
                {"factor": "lookup", "row": "Oslo", "column": "Area"},
                {"factor": "difference", "of": [1, 3]},
            ],
            "earlier",
        ),
    ],
)
def test_programs_outside_the_algebra_are_refused(steps, needle) -> None:
    with pytest.raises(FactorError, match=needle):
        bind_program(steps, TABLE["header"], TABLE["rows"])


def test_a_program_larger_than_the_new_table_does_not_fit() -> None:
    program = bind_program(
        [{"factor": "lookup", "row": "Lima", "column": "Area"}], TABLE["header"], TABLE["rows"]
    )
    small = {**TABLE, "rows": TABLE["rows"][:2]}
    with pytest.raises(FactorError, match="more columns or rows"):
        run_program(program, small)


def _run(tmp_path: Path, url: str, name: str) -> Path:
    out = tmp_path / name
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmrecipe",
            "run",
            str(REPO / "recipes/cogs.yaml"),
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


def test_recipe_recomputes_every_answer_and_reruns_identically(tmp_path) -> None:
    with FakeOpenAIServer("plain", responder=cogs_script) as srv:
        first = _run(tmp_path, srv.base_url, "a")
        second = _run(tmp_path, srv.base_url, "b")
    files = sorted(
        p.relative_to(first / "data") for p in (first / "data").rglob("*") if p.is_file()
    )
    for rel in files:
        assert (first / "data" / rel).read_bytes() == (second / "data" / rel).read_bytes(), rel
    rows = pq.read_table(next((first / "data").rglob("*.parquet"))).to_pylist()
    assert len(rows) >= 12 and len(rows) % 4 == 0  # right decompositions, 4 new tables each
    checked = 0
    for row in rows:
        fields = json.loads(row["fields"])
        gt = fields["ground_truth"]
        steps = run_program(gt["program"], gt["table"])  # recomputed from the stored table
        assert steps == fields["cogs_steps"]
        assert fields["answer"] == steps[-1]["answer"]
        assert row["id"].rsplit("-cogs", 1)[1] in {"0", "1", "2", "3"}
        checked += 1
    assert checked == len(rows)
    llava = json.loads(next((first / "data").rglob("*.json")).read_text())
    convo = llava[0]["conversations"]
    assert convo[0]["value"].startswith("<image>\n") and len(convo) >= 4
