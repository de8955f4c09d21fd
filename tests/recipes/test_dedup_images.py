"""``recipes/dedup-images.yaml`` through the CLI: intake's checks hold with the draft decode
(every adversarial file still gets its reason), and near-duplicates go with their survivor."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from tests.ops.intake.test_image_intake import make_adversarial_folder

from mmrecipe.cli import main
from mmrecipe.testing.variants import write_set

REPO = Path(__file__).resolve().parents[2]


def _run(folder: Path, run: Path) -> list[dict]:
    args = ["run", str(REPO / "recipes/dedup-images.yaml"), "--input", str(folder)]
    result = CliRunner().invoke(main, [*args, "-o", str(run), "--quiet"])
    assert result.exit_code == 0, result.output
    return [json.loads(x) for f in sorted((run / "rejects").glob("*.jsonl")) for x in f.open()]


def test_adversarial_files_keep_their_reasons(tmp_path: Path) -> None:
    bad, _good = make_adversarial_folder(tmp_path / "in")
    rejects = {r["fields"]["source_file"]: r for r in _run(tmp_path / "in", tmp_path / "run")}
    expected = {k: v for k, v in bad.items() if k != "copy.jpg"}
    assert {k: rejects[k]["reason"] for k in expected} == expected
    # byte copies are near-duplicates at distance 0; the first in input order survives
    assert rejects["plain.jpg"]["reason"] == "near_duplicate"
    assert "distance 0 bits" in rejects["plain.jpg"]["detail"]
    assert set(rejects) == set(expected) | {"plain.jpg"}


def test_variants_go_to_their_largest_copy(tmp_path: Path) -> None:
    truth = write_set(tmp_path / "in", 4)
    rejects = _run(tmp_path / "in", tmp_path / "run")
    samples = [
        json.loads(x) for f in sorted((tmp_path / "run/samples").glob("*.jsonl")) for x in f.open()
    ]
    names = {r["id"]: r["fields"]["source_file"] for r in [*samples, *rejects]}
    kept = sorted(s["fields"]["source_file"] for s in samples)
    # each photo's survivor: the full-size original (first in order among 640x480 copies)
    assert kept == sorted(n for n in truth if n.count("_") == 0 or n.endswith("_half.jpg")), kept
    for r in rejects:
        named = r["detail"].split("near-duplicate of ", 1)[1].split(";")[0]
        survivor, _, image = named.partition(" (image ")
        assert r["reason"] == "near_duplicate"
        assert truth[names[r["id"]]] == truth[names[survivor]]
        assert image.rstrip(")").endswith(names[survivor])  # its file named too
    assert len(rejects) == len(truth) - len(kept)
    assert all("phash" in s["fields"] and len(s["fields"]["phash"][0]) == 16 for s in samples)
