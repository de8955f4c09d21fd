"""A hash a dataset claims is never trusted: a ``samples`` input's ``sha256`` is dropped on
read (exact_dedup and the answer cache measure the bytes), so resume fingerprints follow the
image file, not the claimed hash."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PIL import Image

from mmrecipe.io import open_reader
from mmrecipe.io.base import ImageRoot
from mmrecipe.ops.intake.exact_dedup import ExactDedup
from mmrecipe.resume import sample_digest

FORGED = "0" * 64


def _samples_file(tmp_path: Path) -> Path:
    for name, colour in (("a.png", (255, 0, 0)), ("b.png", (0, 0, 255))):
        Image.new("RGB", (8, 8), colour).save(tmp_path / name)
    rows = [
        {"id": i, "images": [{"path": name, "sha256": FORGED}], "messages": []}
        for i, name in (("a", "a.png"), ("b", "b.png"))
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_forged_equal_hashes_do_not_dedup_different_images(tmp_path: Path) -> None:
    samples = list(open_reader("samples", _samples_file(tmp_path), image_root=ImageRoot(tmp_path)))
    assert [s.id for s in samples if not s.rejected] == ["a", "b"]
    assert all(ref.sha256 in (None,) for s in samples for ref in s.images)
    dedup = ExactDedup()
    dedup.fit(samples)
    kept = [s.id for s in dedup.process_batch(samples) if not s.rejected]
    assert kept == ["a", "b"]


def test_resume_digest_follows_a_replaced_image_despite_a_claimed_hash(tmp_path: Path) -> None:
    [sample, _] = open_reader("samples", _samples_file(tmp_path), image_root=ImageRoot(tmp_path))
    before = sample_digest(sample)
    Image.new("RGB", (16, 16), (0, 255, 0)).save(tmp_path / "a.png")
    os.utime(tmp_path / "a.png", ns=(1, 1))
    assert sample_digest(sample) != before
