"""Manifest inputs: the folder reader's samples without a listing, every entry held to the
dataset-root rules, claimed sizes and hashes never trusted; ``mmrecipe manifest`` builds one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.errors import ConfigError
from mmrecipe.executor.local import LocalExecutor
from mmrecipe.io import open_reader
from mmrecipe.io.manifest import ManifestReader, build_manifest
from mmrecipe.recipe import load_recipe
from mmrecipe.resume import ShardInput

ROOT = Path(__file__).resolve().parents[2]


def make_tree(root: Path) -> None:
    for sub in ("", "b", "a", "a/deep", "c"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        for i in range(3):
            Image.new("RGB", (8 + i, 8), (i * 40, 10, 10)).save(root / sub / f"img{i}.png")
    (root / "a" / "notes.txt").write_text("not an image")


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_manifest_reads_like_the_folder(tmp_path: Path, suffix: str) -> None:
    root = tmp_path / "images"
    make_tree(root)
    manifest = tmp_path / f"m{suffix}"
    assert build_manifest(root, manifest, threads=3) == 15
    folder = list(open_reader("image_folder", root))
    listed = open_reader("image_folder", root, manifest=str(manifest))
    assert isinstance(listed, ManifestReader) and listed.count() == 15
    samples = list(listed)
    assert [s.to_dict() for s in samples] == [s.to_dict() for s in folder]


def test_cli_builds_a_manifest(tmp_path: Path) -> None:
    root = tmp_path / "images"
    make_tree(root)
    out = tmp_path / "m.jsonl"
    res = CliRunner().invoke(main, ["manifest", str(root), "-o", str(out), "--threads", "2"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["path"] for r in rows[:4]] == ["img0.png", "img1.png", "img2.png", "a/img0.png"]
    assert rows[0]["size"] == (root / "img0.png").stat().st_size
    bad = CliRunner().invoke(main, ["manifest", str(root), "-o", str(tmp_path / "m.csv")])
    assert isinstance(bad.exception, ConfigError)  # one line, exit 2 from the console entry


def test_every_entry_obeys_the_root_rules(tmp_path: Path) -> None:
    root = tmp_path / "images"
    root.mkdir()
    Image.new("RGB", (8, 8)).save(root / "ok.png")
    outside = tmp_path / "secret.png"
    Image.new("RGB", (8, 8)).save(outside)
    (root / "link-out.png").symlink_to(outside)
    (root / "link-in.png").symlink_to(root / "ok.png")
    os.mkfifo(root / "fifo.png")
    entries = [
        {"path": "ok.png"},
        {"path": "../secret.png"},
        {"path": str(outside)},
        {"path": "link-out.png"},
        {"path": "link-in.png"},
        {"path": "fifo.png"},
        {"path": "gone.png"},
        {"nopath": 1},
        "not an object",
    ]
    manifest = tmp_path / "m.jsonl"
    lines = [json.dumps(e) for e in entries] + ["{broken", "x" * 70_000]
    manifest.write_text("\n".join(lines) + "\n")
    samples = list(ManifestReader(root, manifest))
    reasons = [s.rejection.reason if s.rejected else "ok" for s in samples]
    assert reasons == [
        "ok",
        "bad_image_path",
        "bad_image_path",
        "image_outside_root",
        "ok",
        "not_a_file",
        "missing_file",
        "bad_manifest_entry",
        "bad_manifest_entry",
        "bad_manifest_entry",
        "bad_manifest_entry",
    ]
    assert all(not s.images for s in samples if s.rejected)


def test_claimed_size_and_sha256_are_not_trusted(tmp_path: Path) -> None:
    root = tmp_path / "images"
    root.mkdir()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(root / "a.png")
    manifest = tmp_path / "m.jsonl"
    claim = {"path": "a.png", "size": 1, "mtime_ns": 1, "sha256": "0" * 64, "metadata": {"k": 1}}
    manifest.write_text(json.dumps(claim) + "\n")
    (sample,) = list(ManifestReader(root, manifest))
    assert sample.images[0].sha256 is None  # dedup and the cache key hash the bytes
    assert sample.fields["metadata"] == {"k": 1}
    before = ShardInput.of([sample]).fingerprint
    Image.new("RGB", (9, 8), (1, 2, 3)).save(root / "a.png")  # edited; the manifest is not
    (again,) = list(ManifestReader(root, manifest))
    assert ShardInput.of([again]).fingerprint != before


def test_a_run_from_a_manifest_equals_a_run_from_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "images"
    make_tree(root)
    manifest = tmp_path / "m.parquet"
    build_manifest(root, manifest)
    recipe = ROOT / "recipes" / "curate-folder.yaml"
    base = [f"input.path={root}", "executor.shard_size=4"]
    LocalExecutor(load_recipe(recipe, base), tmp_path / "folder", quiet=True).run()
    spec = load_recipe(recipe, [*base, f"input.options.manifest={manifest}"])
    LocalExecutor(spec, tmp_path / "manifest", quiet=True).run()
    for sub in ("data", "rejects"):
        a = {p.name: p.read_bytes() for p in sorted((tmp_path / "folder" / sub).rglob("*.*"))}
        b = {p.name: p.read_bytes() for p in sorted((tmp_path / "manifest" / sub).rglob("*.*"))}
        assert a and a == b
