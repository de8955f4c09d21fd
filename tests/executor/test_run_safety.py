"""A run dir is used by one run at a time (a second one exits 2 at once, a dead run's lock is
taken over), and a run dir that cannot be written gives one line, exit 2; the rerun after the
fix ends exactly like a clean run."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mmrecipe.cli import main
from mmrecipe.errors import MMRecipeError
from mmrecipe.rundir import RunDir
from mmrecipe.testing.records import data_records

HERE = Path(__file__).resolve().parent

RECIPE = """
name: lock-test
plugins: [slow_plugin]
input: {format: llava}
ops:
  - {op: test_slow_upper, name: upper, delay_s: DELAY}
output: {formats: [llava]}
executor: {shard_size: 5, shards_in_flight: 1}
"""


@pytest.fixture(autouse=True)
def _plugin_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HERE))


def _setup(tmp_path: Path, delay: float, n: int = 40) -> tuple[Path, Path]:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("DELAY", str(delay)))
    data = tmp_path / "in.jsonl"
    with open(data, "w") as fh:
        for i in range(n):
            conv = [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": f"a {i}"}]
            fh.write(json.dumps({"id": f"s{i}", "conversations": conv}) + "\n")
    return recipe, data


def _args(recipe: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(recipe), "--input", str(data), "-o", str(out), "--quiet", *extra]


def _run(recipe: Path, data: Path, out: Path, *extra: str) -> Result:
    """``mmrecipe run`` in this process; errors stay in ``result.exception`` (the console
    entry turns an MMRecipeError into ``error: <message>``, exit 2)."""
    return CliRunner().invoke(main, _args(recipe, data, out, *extra), standalone_mode=False)


def _error(result: Result) -> str:
    assert isinstance(result.exception, MMRecipeError), result.exception
    return str(result.exception)


def _data(out: Path) -> list[str]:
    return sorted(json.dumps(r) for r in data_records(out / "data"))  # llava: JSON arrays


def test_second_run_on_a_busy_run_dir_exits_2_and_a_dead_runs_lock_is_taken_over(
    tmp_path: Path,
) -> None:
    recipe, data = _setup(tmp_path, delay=1.0)  # 40 s in all: it is killed long before
    out = tmp_path / "run"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-m", "mmrecipe", *_args(recipe, data, out)]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = out / "run.lock"
        deadline = time.time() + 60
        while time.time() < deadline and not (lock.exists() and lock.read_text()):
            time.sleep(0.02)
        assert first.poll() is None
        # the console command: exit 2 with one line, at once
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"error: run dir {out} is in use by another run (pid {first.pid} on host "
            f"{socket.gethostname()}, started {json.loads(lock.read_text())['started']}); "
            "wait for it to finish or write to another -o"
        ]
        assert first.poll() is None
    finally:
        # the holder is killed: its lock is stale, the next run takes it over and finishes
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert _run(recipe, data, out, "--set", "ops.upper.delay_s=0").exit_code == 0
    clean = tmp_path / "clean"
    assert _run(recipe, data, clean, "--set", "ops.upper.delay_s=0").exit_code == 0
    assert _data(out) == _data(clean) and len(_data(out)) == 40


def test_a_run_holding_the_lock_in_this_process_refuses_another(tmp_path: Path) -> None:
    from mmrecipe.runlock import RunLock

    recipe, data = _setup(tmp_path, delay=0.0, n=5)
    out = tmp_path / "run"
    with RunLock(out):
        message = _error(_run(recipe, data, out))
        assert message.startswith(f"run dir {out} is in use by another run (pid {os.getpid()}")
    assert _run(recipe, data, out).exit_code == 0


def test_unwritable_run_dir_is_one_line_and_the_rerun_equals_a_clean_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe, data = _setup(tmp_path, delay=0.0, n=12)
    clean = tmp_path / "clean"
    assert _run(recipe, data, clean).exit_code == 0

    # -o names a file
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert _error(_run(recipe, data, a_file)) == (
        f"cannot write {a_file}: a file stands where a folder should be. Fix it and "
        f"rerun the same command: finished shards in {a_file} are kept"
    )

    # a file where the run's data/ folder should be
    out = tmp_path / "run"
    out.mkdir()
    (out / "data").write_text("in the way")
    assert "a file stands where a folder should be" in _error(_run(recipe, data, out))
    (out / "data").unlink()

    # the disk fills up at the end of the run (when stats.json is written; a planted link
    # to /dev/full is refused now: mmrecipe never writes through links in its run dir)
    def full(self: object, stats: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(RunDir, "write_stats", full)
        assert _error(_run(recipe, data, out)) == (
            f"cannot write {out}: no space left on the device. Fix it and rerun the same "
            f"command: finished shards in {out} are kept"
        )
    assert _run(recipe, data, out).exit_code == 0
    assert _data(out) == _data(clean)
    totals = json.loads((out / "stats.json").read_text())["totals"]
    assert totals == json.loads((clean / "stats.json").read_text())["totals"]


def test_disk_full_inside_an_op_stops_the_run_instead_of_rejecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe, data = _setup(tmp_path, delay=0.0, n=12)
    text = recipe.read_text().replace("ops:\n", "ops:\n  - {op: test_write_image, name: write}\n")
    recipe.write_text(text.replace("[llava]}", "[llava], keep_fields: [written]}"))
    clean = tmp_path / "clean"
    assert _run(recipe, data, clean).exit_code == 0

    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setenv("MMRECIPE_TEST_DISK_FULL_AT", "s7")  # the disk is full when s7 is written
        assert "no space left on the device" in _error(_run(recipe, data, out))
    assert not list((out / "rejects").glob("*.jsonl"))  # nobody's sample was rejected for it
    assert _run(recipe, data, out).exit_code == 0
    assert _data(out) == _data(clean) and len(_data(out)) == 12
