"""`mmrecipe --help` and `mmrecipe validate` load no heavy library (behaviour, not timing:
benchmarks measure the time). Each check runs in a fresh interpreter so earlier imports of the
test session do not hide a regression."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
HEAVY = ("torch", "transformers", "matplotlib", "cv2", "pyarrow", "aiohttp", "pandas", "scipy")


def loaded_after(*args: str) -> set[str]:
    code = (
        "import json, sys\n"
        "from mmrecipe.cli import main\n"
        "try:\n"
        f"    main({list(args)!r}, standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {(*HEAVY, 'numpy', 'PIL', 'pydantic', 'rich')!r} "
        "if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["report", "--help"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    loaded = loaded_after(*args)
    assert not loaded, f"mmrecipe {' '.join(args)} imported {sorted(loaded)}"


def test_validate_imports_no_model_or_http_library() -> None:
    loaded = loaded_after("validate", str(RECIPES / "recaption.yaml"))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_defaults_match_their_modules() -> None:
    from mmrecipe.analysis import analyze, diversity
    from mmrecipe.cli import analyze as cli_analyze
    from mmrecipe.cli import report as cli_report
    from mmrecipe.report import DEFAULT_MAX_SAMPLES

    assert cli_report.DEFAULT_MAX_SAMPLES == DEFAULT_MAX_SAMPLES
    assert cli_analyze.DEFAULT_LANGUAGE_SAMPLE == analyze.DEFAULT_LANGUAGE_SAMPLE
    assert cli_analyze.DEFAULT_POS_SAMPLE == analyze.DEFAULT_POS_SAMPLE
    assert cli_analyze.DEFAULT_WINDOW == diversity.DEFAULT_WINDOW
