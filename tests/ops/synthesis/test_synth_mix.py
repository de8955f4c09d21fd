"""synth_mix through the CLI: a mixture of generators into a run dir, with a clear error for
generator kinds that are not installed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from mmrecipe.cli import main

RECIPE = """
name: mix-test
ops:
  - op: synth_mix
    name: mix
    num_samples: 24
    seed: 3
    generators: {GENERATORS}
  - op: synth_verify
    name: verify
output: {formats: [sharegpt], assistant_images: move_to_user}
executor: {shard_size: 10}
"""


def test_mix_writes_every_kind_in_ratio(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.replace("{GENERATORS}", "{geometry: 2, jigsaw: 1, maze: 1}"))
    result = CliRunner().invoke(main, ["run", str(recipe), "-o", str(tmp_path / "run"), "--quiet"])
    assert result.exit_code == 0, result.output
    rows = [
        json.loads(line)
        for f in sorted((tmp_path / "run" / "data").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    assert len(rows) == 24
    kinds = Counter(r["domain"] for r in rows)
    expected = {"synthetic/geometry": 12, "synthetic/jigsaw": 6, "synthetic/maze": 6}
    assert set(kinds) == set(expected)
    assert all(abs(kinds[k] - n) <= 1 for k, n in expected.items()), kinds
    for r in rows:
        for image in r["images"]:
            assert (tmp_path / "run" / image).is_file()


def test_unknown_generators_are_named(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.replace("{GENERATORS}", "{geometry: 1, hologram: 1}"))
    result = CliRunner().invoke(main, ["run", str(recipe), "-o", str(tmp_path / "run")])
    assert result.exit_code != 0
    message = str(result.exception)  # the CLI entry point prints it as one line
    assert "'hologram'" in message and "known:" in message and "geometry" in message
