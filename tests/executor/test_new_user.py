"""What a new user runs into: Ctrl-C ends a run within about 2 s (exit 130, the rerun
finishes it); a different recipe into an existing run dir is refused unless ``--force``, and
an old report is removed when shards are redone; a start that fails leaves no run dir."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from mmrecipe.cli import main
from mmrecipe.errors import ConfigError, InputError

HERE = Path(__file__).resolve().parent
RECIPE = """
name: {name}
plugins: [slow_plugin]
input: {{format: llava}}
ops:
  - {{op: test_slow_upper, name: upper, delay_s: {delay}}}
output: {{formats: [llava]}}
executor: {{shard_size: 1, shards_in_flight: 2, cpu_threads: 2}}
"""


def _files(tmp_path: Path, name: str = "a", delay: float = 0.0, n: int = 2) -> tuple[Path, Path]:
    recipe = tmp_path / f"{name}.yaml"
    recipe.write_text(RECIPE.format(name=name, delay=delay))
    data = tmp_path / "in.jsonl"
    conv = [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a b"}]
    data.write_text(
        "".join(json.dumps({"id": f"s{i}", "conversations": conv}) + "\n" for i in range(n))
    )
    return recipe, data


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def test_ctrl_c_exits_within_two_seconds_and_the_rerun_finishes(tmp_path: Path) -> None:
    recipe, data = _files(tmp_path, delay=30.0)  # each shard's op blocks its thread for 30 s
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "mmrecipe", "run", str(recipe), "--input", str(data)]
    cmd += ["-o", str(run), "--quiet"]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (run / "recipe.yaml").exists():
        time.sleep(0.05)
    time.sleep(2.0)  # the shards are in their op's thread now
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 130, err.decode()[-2000:]
    assert b"interrupted: rerun the same command to resume" in err
    assert took < 5, f"took {took:.1f} s to exit after Ctrl-C (the op sleeps 30 s)"
    again = subprocess.run(
        [*cmd, "--set", "ops.upper.delay_s=0"], env=_env(), capture_output=True, timeout=300
    )
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    lines = [x for p in (run / "data").glob("*.json*") for x in json.loads(p.read_text())]
    assert sorted(r["id"] for r in lines) == ["s0", "s1"]


def test_another_recipe_into_a_run_dir_is_refused_unless_forced(tmp_path: Path) -> None:
    first, data = _files(tmp_path, name="first")
    second, _ = _files(tmp_path, name="second")
    run = tmp_path / "run"
    base = ["--input", str(data), "-o", str(run), "--quiet"]
    assert CliRunner().invoke(main, ["run", str(first), *base, "--report"]).exit_code == 0
    assert (run / "report.html").is_file()
    refused = CliRunner().invoke(main, ["run", str(second), *base])
    assert isinstance(refused.exception, ConfigError)
    assert "'first'" in str(refused.exception) and "'second'" in str(refused.exception)
    assert (run / "report.html").is_file()  # nothing touched
    forced = CliRunner().invoke(main, ["run", str(second), *base, "--force"])
    assert forced.exit_code == 0, forced.output
    assert not (run / "report.html").exists()  # it described the other recipe's outputs
    # an edited recipe with the same name: redone, no refusal
    second.write_text(second.read_text().replace("delay_s: 0.0", "delay_s: 0.001"))
    assert CliRunner().invoke(main, ["run", str(second), *base]).exit_code == 0


def test_a_failed_start_leaves_no_run_dir(tmp_path: Path) -> None:
    recipe, _ = _files(tmp_path)
    run = tmp_path / "run"
    missing = tmp_path / "gone.jsonl"
    result = CliRunner().invoke(
        main, ["run", str(recipe), "-o", str(run), "--set", f"input.path={missing}"]
    )
    assert isinstance(result.exception, (InputError, ConfigError)), result.output
    assert not run.exists()
