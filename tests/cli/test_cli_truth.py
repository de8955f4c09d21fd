"""The CLI tells the whole truth and nothing else: every reject reason, no library chatter."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmrecipe.cli import entry
from mmrecipe.cli.logs import configure_logging
from mmrecipe.rundir import RunDir

REASONS = {f"reason_{c}": n for c, n in zip("abcdefgh", [50, 40, 30, 20, 10, 5, 2, 1], strict=True)}


def _cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["mmrecipe", *args])
    code = 0
    try:
        entry()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def _run_dir(tmp_path: Path) -> Path:
    layout = RunDir(tmp_path / "run")
    layout.create()
    total = sum(REASONS.values())
    step = {"in": 200, "out": 200 - total, "rejected": REASONS, "rejected_total": total}
    layout.write_stats({"steps": {"filter": step}, "totals": {"input": 200, "kept": 42}})
    return layout.root


def test_stats_shows_every_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    run = _run_dir(tmp_path)
    code, out, _ = _cli(["stats", str(run)], capsys, monkeypatch)
    assert code == 0
    for reason, n in REASONS.items():
        assert f"{reason} {n}" in out
    code, out, _ = _cli(["stats", str(run), "--top", "3"], capsys, monkeypatch)
    assert code == 0 and "reason_c 30" in out and "reason_d" not in out
    assert "… 5 more (38 samples)" in out


def test_library_logs_only_with_verbose(tmp_path: Path) -> None:
    (tmp_path / "mmr_chatty_plugin.py").write_text(
        "import logging\n"
        "logging.getLogger('matplotlib.category').info('Using categorical units NOISE')\n"
        "logging.getLogger('mmrecipe.plugin').info('OWN LINE')\n"
    )
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: t\nplugins: [mmr_chatty_plugin]\nops: []\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}

    def stderr(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mmrecipe", *args], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    quiet = stderr("validate", str(recipe))
    assert "NOISE" not in quiet and "OWN LINE" in quiet
    assert "NOISE" in stderr("-v", "validate", str(recipe))


def test_verbose_after_the_subcommand() -> None:
    from click.testing import CliRunner

    from mmrecipe.cli import main

    configure_logging(verbose=False)
    assert not logging.getLogger("matplotlib").isEnabledFor(logging.INFO)
    result = CliRunner().invoke(main, ["report", "-v", "/nonexistent-run-dir"])
    assert "No such option" not in result.output
    assert logging.getLogger("matplotlib").isEnabledFor(logging.INFO)
    configure_logging(verbose=False)


def test_transformers_bars_and_notices_only_with_verbose(
    tmp_path: Path, tiny_llava_dir: Path
) -> None:
    """A vision expert's model load draws transformers' "Loading weights" bar: only with -v."""
    (tmp_path / "mmr_loads_a_model.py").write_text(
        "from transformers import AutoModelForImageTextToText\n"
        f"AutoModelForImageTextToText.from_pretrained({str(tiny_llava_dir)!r})\n"
    )
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: t\nplugins: [mmr_loads_a_model]\nops: []\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_VERBOSITY", "PROGRESS_BARS", "ADVISORY_WARNINGS"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *sys.path])

    def stderr(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mmrecipe", *args], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "Loading weights" not in stderr("validate", str(recipe))
    assert "Loading weights" in stderr("-v", "validate", str(recipe))
