"""``python -m mmrecipe.testing tiny`` without torch/transformers: one line, non-zero exit, and
``mmrecipe run ... $(python -m mmrecipe.testing tiny ...)`` refuses instead of running with
the recipe's real backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the kit in a Python where torch and transformers cannot be imported
NO_TORCH = (
    "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None; "
    "from mmrecipe.testing.__main__ import main; sys.exit(main(sys.argv[1:]))"
)


def test_kit_without_torch_makes_the_run_refuse(tmp_path: Path) -> None:
    recipe = ROOT / "recipes" / "clip-filter.yaml"
    kit = subprocess.run(
        [sys.executable, "-c", NO_TORCH, "tiny", "--recipe", str(recipe), str(tmp_path / "t")],
        capture_output=True,
        text=True,
    )
    assert kit.returncode == 2
    assert len(kit.stderr.strip().splitlines()) == 1 and "Traceback" not in kit.stderr
    assert "pip install" in kit.stderr
    # what $(...) expands to: the words of stdout
    words = kit.stdout.split()
    assert words and all(w.startswith("--standins-failed=") for w in words)
    (tmp_path / "in").mkdir()
    args = ["run", str(recipe), "--input", str(tmp_path / "in"), "-o", str(tmp_path / "run")]
    run = subprocess.run(
        [sys.executable, "-m", "mmrecipe", *args, *words],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert run.returncode == 2, run.stderr
    assert "refusing to run" in run.stderr and "real backends" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
