"""A run dir is used by one run at a time (a second one exits 2 at once, a dead run's lock is
taken over), and a run dir that cannot be written gives one line, exit 2; the rerun after the
fix ends exactly like a clean run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def _setup(tmp_path: Path, delay: float, n: int = 40) -> tuple[Path, Path]:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("DELAY", str(delay)))
    data = tmp_path / "in.jsonl"
    with open(data, "w") as fh:
        for i in range(n):
            conv = [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": f"a {i}"}]
            fh.write(json.dumps({"id": f"s{i}", "conversations": conv}) + "\n")
    return recipe, data


def _cmd(recipe: Path, data: Path, out: Path) -> list[str]:
    args = ["run", str(recipe), "--input", str(data), "-o", str(out), "--quiet"]
    return [sys.executable, "-m", "mmrecipe", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def _data(out: Path) -> list[str]:
    return sorted(line for f in sorted((out / "data").glob("*.jsonl")) for line in f.open())


def test_second_run_on_a_busy_run_dir_exits_2_and_a_dead_runs_lock_is_taken_over(
    tmp_path: Path,
) -> None:
    recipe, data = _setup(tmp_path, delay=1.0)  # 40 s in all: it is killed long before
    out = tmp_path / "run"
    first = subprocess.Popen(
        _cmd(recipe, data, out), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    lock = out / "run.lock"
    deadline = time.time() + 60
    while time.time() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.02)
    assert first.poll() is None
    t0 = time.time()
    second = subprocess.run(_cmd(recipe, data, out), env=_env(), capture_output=True, text=True)
    assert time.time() - t0 < 30
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert f"pid {first.pid} on host {socket.gethostname()}, started 20" in lines[0]
    assert "in use by another run" in lines[0]

    # the holder is killed: its lock is stale, the next run takes it over and finishes
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    fast = [*_cmd(recipe, data, out), "--set", "ops.upper.delay_s=0"]
    third = subprocess.run(fast, env=_env(), capture_output=True, text=True)
    assert third.returncode == 0, third.stderr
    clean = tmp_path / "clean"
    fast = [*_cmd(recipe, data, clean), "--set", "ops.upper.delay_s=0"]
    subprocess.run(fast, env=_env(), check=True, capture_output=True)
    assert _data(out) == _data(clean) and len(_data(out)) == 40


def test_unwritable_run_dir_is_one_line_and_the_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    recipe, data = _setup(tmp_path, delay=0.0, n=12)
    clean = tmp_path / "clean"
    subprocess.run(_cmd(recipe, data, clean), env=_env(), check=True, capture_output=True)

    # -o names a file
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    bad = subprocess.run(_cmd(recipe, data, a_file), env=_env(), capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"error: cannot write {a_file}: a file stands where a folder should be. Fix it and "
        f"rerun the same command: finished shards in {a_file} are kept"
    ]

    # a file where the run's data/ folder should be
    out = tmp_path / "run"
    out.mkdir()
    (out / "data").write_text("in the way")
    bad = subprocess.run(_cmd(recipe, data, out), env=_env(), capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "a file stands where a folder should be" in bad.stderr
    (out / "data").unlink()

    # the disk fills up at the end of the run (stats.json's temporary file is /dev/full)
    (out / "stats.json.tmp").symlink_to("/dev/full")
    bad = subprocess.run(_cmd(recipe, data, out), env=_env(), capture_output=True, text=True)
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1:] == [  # after the progress lines (--quiet)
        f"error: cannot write {out}: no space left on the device. Fix it and rerun the same "
        f"command: finished shards in {out} are kept"
    ]
    (out / "stats.json.tmp").unlink()
    fixed = subprocess.run(_cmd(recipe, data, out), env=_env(), capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stderr
    assert _data(out) == _data(clean)
    totals = json.loads((out / "stats.json").read_text())["totals"]
    assert totals == json.loads((clean / "stats.json").read_text())["totals"]


def test_disk_full_inside_an_op_stops_the_run_instead_of_rejecting(tmp_path: Path) -> None:
    recipe, data = _setup(tmp_path, delay=0.0, n=12)
    text = recipe.read_text().replace("ops:\n", "ops:\n  - {op: test_write_image, name: write}\n")
    recipe.write_text(text.replace("[llava]}", "[llava], keep_fields: [written]}"))
    clean = tmp_path / "clean"
    subprocess.run(_cmd(recipe, data, clean), env=_env(), check=True, capture_output=True)

    out = tmp_path / "run"
    (out / "images").mkdir(parents=True)
    (out / "images" / "s7.bin").symlink_to("/dev/full")  # the disk is full when s7 is written
    bad = subprocess.run(_cmd(recipe, data, out), env=_env(), capture_output=True, text=True)
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr
    assert "no space left on the device" in bad.stderr.strip().splitlines()[-1]
    assert not list((out / "rejects").glob("*.jsonl"))  # nobody's sample was rejected for it
    (out / "images" / "s7.bin").unlink()
    fixed = subprocess.run(_cmd(recipe, data, out), env=_env(), capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stderr
    assert _data(out) == _data(clean) and len(_data(out)) == 12
