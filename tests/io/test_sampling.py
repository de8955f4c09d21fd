"""``input.sample: {n, seed}``: a random subset that is the same on every run with that seed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main

REPO = Path(__file__).resolve().parents[2]


def _kept(run: Path) -> list[str]:
    return sorted(
        json.loads(line)["id"] for f in (run / "samples").glob("*.jsonl") for line in open(f)
    )


def _run(folder: Path, run: Path, *extra: str) -> list[str]:
    args = ["run", str(REPO / "recipes" / "curate-folder.yaml"), "--input", str(folder)]
    result = CliRunner().invoke(main, [*args, "-o", str(run), "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return _kept(run)


def test_sample_is_random_deterministic_and_independent_of_shards(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(30):
        Image.new("RGB", (40, 40), (i * 8, 100, 50)).save(folder / f"{i:02d}.png")
    first = _run(folder, tmp_path / "a", "--set", "input.sample={n: 6, seed: 1}")
    again = _run(
        folder,
        tmp_path / "b",
        "--set",
        "input.sample={n: 6, seed: 1}",
        "--set",
        "executor.shard_size=2",
    )
    other = _run(folder, tmp_path / "c", "--set", "input.sample={n: 6, seed: 2}")
    head = _run(folder, tmp_path / "d", "--limit", "6")
    assert len(first) == 6 and first == again
    assert other != first and head != first  # not the first six in sorted order
    stats = json.loads((tmp_path / "a" / "stats.json").read_text())
    assert stats["totals"]["input"] == 6
