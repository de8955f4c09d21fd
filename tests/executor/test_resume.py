"""A run killed with SIGKILL at several points and rerun ends exactly like an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmrecipe.testing.records import data_records

HERE = Path(__file__).resolve().parent

RECIPE = """
name: resume-test
plugins: [slow_plugin]
input: {format: llava}
ops:
  - {op: test_slow_upper, name: upper, delay_s: 0.004}
  - {op: text_length, name: length, role: assistant, min_words: 2}
  - {op: exact_dedup, name: dedup, include_text: true}
  - {op: set_fields, name: tag, values: {domain: test}}
output: {formats: [llava, sharegpt]}
executor: {shard_size: 10, shards_in_flight: 2}
"""


def _write_input(path: Path, n: int) -> None:
    with open(path, "w") as fh:
        for i in range(n):
            answer = "short" if i % 7 == 0 else f"answer number {i % 150} with words"
            fh.write(
                json.dumps(
                    {
                        "id": f"s{i:04d}",
                        "conversations": [
                            {"from": "human", "value": f"question {i % 150}"},
                            {"from": "gpt", "value": answer},
                        ],
                    }
                )
                + "\n"
            )
        fh.write("{not json\n")


def _cmd(recipe: Path, data: Path, run: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mmrecipe",
        "run",
        str(recipe),
        "--input",
        str(data),
        "-o",
        str(run),
        "--quiet",
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def _finished(run: Path, phase: int) -> int:
    db = run / "state" / "state.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            row = conn.execute("SELECT COUNT(*) FROM shards WHERE phase=?", (phase,)).fetchone()
        return row[0]
    except sqlite3.Error:
        return 0


def _run_and_kill(cmd: list[str], run: Path, phase: int, at_least: int) -> None:
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if _finished(run, phase) >= at_least:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed: make it slower"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _outputs(run: Path) -> dict[str, list[str]]:
    out = {}
    for folder in ("data", "data/sharegpt", "rejects"):
        lines = [json.dumps(r, sort_keys=True) for r in data_records(run / folder)]
        if folder == "rejects":
            lines = [x for f in sorted((run / folder).glob("*.jsonl")) for x in f.open()]
        out[folder] = sorted(lines)
    return out


@pytest.mark.slow
def test_sigkill_at_several_points_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    data = tmp_path / "in.jsonl"
    _write_input(data, 400)

    clean = tmp_path / "clean"
    subprocess.run(_cmd(recipe, data, clean), env=_env(), check=True, capture_output=True)
    expected = _outputs(clean)
    ids = [json.loads(line)["id"] for line in expected["data"]]
    assert len(ids) == len(set(ids)) and len(ids) > 100

    run = tmp_path / "killed"
    cmd = _cmd(recipe, data, run)
    _run_and_kill(cmd, run, phase=0, at_least=1)  # early in the first phase
    _run_and_kill(cmd, run, phase=0, at_least=25)  # later, after a resume
    _run_and_kill(cmd, run, phase=1, at_least=3)  # after the barrier, in the last phase
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stderr
    assert _outputs(run) == expected

    stats = json.loads((run / "stats.json").read_text())
    clean_stats = json.loads((clean / "stats.json").read_text())
    assert stats["totals"] == clean_stats["totals"]
    assert stats["totals"]["input"] == 401
    assert stats["steps"]["read"]["rejected"] == {"malformed_record": 1}


def test_rerun_of_finished_run_does_nothing_and_changed_recipe_redoes(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("delay_s: 0.004", "delay_s: 0.0"))
    data = tmp_path / "in.jsonl"
    _write_input(data, 50)
    run = tmp_path / "run"
    first = subprocess.run(_cmd(recipe, data, run), env=_env(), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = _outputs(run)
    again = subprocess.run(_cmd(recipe, data, run), env=_env(), capture_output=True, text=True)
    assert "resuming" in again.stderr
    assert _outputs(run) == before
    changed = subprocess.run(
        [*_cmd(recipe, data, run), "--set", "ops.length.min_words=6"],
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert changed.returncode == 0, changed.stderr
    assert "changed" in changed.stderr
    after = _outputs(run)
    assert after["data"] == [] and len(after["rejects"]) > len(before["rejects"])
    assert all(json.loads(r)["reason"] for r in after["rejects"])
