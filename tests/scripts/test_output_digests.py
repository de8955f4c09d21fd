"""``scripts/output_digests.py``: the recipes' outputs are byte-identical to the stored digests
(issue 25: refactors change no output byte), and a changed byte is caught."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "output_digests.py"
STORED = ROOT / "scripts" / "output_digests.json"


def _digests(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=900
    )


@pytest.mark.slow
def test_every_run_matches_the_stored_digests() -> None:
    done = _digests("--check", str(STORED))
    if done.returncode == 3:  # another Pillow/matplotlib/torch encodes other bytes: not a change
        pytest.skip(done.stdout.strip())
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "digests: all equal" in done.stdout


def test_a_changed_digest_fails_the_check(tmp_path: Path) -> None:
    stored = json.loads(STORED.read_text())
    assert set(stored) >= {"quickstart", "oasis", "honeypipe", "clip-filter", "sparcl"}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**stored, "grounding-qwenvl": "0" * 64}))
    done = _digests("--check", str(wrong), "--only", "grounding-qwenvl")
    if done.returncode == 3:  # recorded under other library versions or fonts: nothing to compare
        pytest.skip(done.stdout.strip())
    assert done.returncode == 1
    assert "DIFFERS grounding-qwenvl" in done.stdout
