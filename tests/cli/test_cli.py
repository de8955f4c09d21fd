"""Configuration mistakes give one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "curate-folder.yaml"


def _mmrecipe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmrecipe", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "missing.yaml", "-o", "x"], "recipe file not found"),
        (["run", str(RECIPE), "-o", "x"], "no input"),
        (["run", str(RECIPE), "-o", "x", "--input", "/nonexistent"], "does not exist"),
        (["validate", str(RECIPE), "--set", "ops.nosuch.x=1"], "no step named 'nosuch'"),
        (["validate", str(RECIPE), "--set", "ops.intake.max_pixels=lots"], "max_pixels"),
        (["validate", str(RECIPE), "--set", "ops.intake.bogus=1"], "bogus"),
        (["validate", str(RECIPE), "--set", "output.formats=[xml]"], "unknown output format"),
        (["stats", "/tmp"], "not a finished mmrecipe run dir"),
    ],
)
def test_config_errors_are_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    result = _mmrecipe(*args, cwd=tmp_path)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0]


def test_validate_ops_and_stats(tmp_path: Path) -> None:
    ok = _mmrecipe("validate", str(RECIPE))
    assert ok.returncode == 0 and "intake -> dedup" in ok.stdout
    listing = _mmrecipe("ops")
    assert "image_intake" in listing.stdout and "max_pixels" in listing.stdout
    images = tmp_path / "imgs"
    images.mkdir()
    for i in range(3):
        Image.new("RGB", (16 + i, 16)).save(images / f"{i}.png")
    run = tmp_path / "run"
    done = _mmrecipe(
        "run", str(RECIPE), "--input", str(images), "-o", str(run), "--quiet", "--limit", "2"
    )
    assert done.returncode == 0, done.stderr
    stats = _mmrecipe("stats", str(run))
    assert stats.returncode == 0 and "intake" in stats.stdout
    assert "kept 2" in stats.stdout


def test_ops_prints_brackets_in_docs_as_written() -> None:
    result = _mmrecipe("ops", "annotation_context")
    assert result.returncode == 0
    assert "[x1, y1, x2, y2]" in " ".join(result.stdout.split())


def test_ops_prints_whole_parameter_descriptions() -> None:
    """A description that goes on past its first docstring line is printed whole."""
    from mmrecipe.registry import get_op, op_params

    docs = {p.name: p.doc for p in op_params(get_op("near_dedup"))}
    assert docs["max_distance"].endswith("no two distinct photos)")
    assert docs["numbers_must_match"].endswith("whatever their similarity")
    result = _mmrecipe("ops", "near_dedup")
    assert result.returncode == 0
    flat = " ".join(result.stdout.split())
    assert "no two distinct photos)" in flat and "…" not in result.stdout
