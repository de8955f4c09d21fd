"""Thumbnails are small, made once per image, and broken images give a placeholder."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from mmrecipe.report.thumbnails import THUMB_SIDE, Thumbnails, thumbnail_bytes


def test_thumbnail_is_small_and_bounded(tmp_path: Path) -> None:
    Image.new("RGBA", (2000, 500), (10, 20, 30, 128)).save(tmp_path / "big.png")
    data = thumbnail_bytes(tmp_path / "big.png")
    assert data is not None and len(data) < 10_000
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and max(im.size) == THUMB_SIDE


def test_broken_images_give_none(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    for name in ("bad.jpg", "empty.png", "text.png", "missing.png"):
        assert thumbnail_bytes(tmp_path / name) is None
    assert thumbnail_bytes(tmp_path) is None  # a directory


def test_shared_images_once_relative_and_absolute(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "images").mkdir(parents=True)
    Image.new("RGB", (50, 40)).save(run / "images" / "a.png")
    Image.new("RGB", (50, 40), (255, 0, 0)).save(tmp_path / "abs.png")
    thumbs = Thumbnails(run, budget_bytes=10**6)
    assert thumbs.get("images/a.png") == 0 and thumbs.get("images/a.png") == 0
    assert thumbs.get(str(tmp_path / "abs.png")) == 1
    assert thumbs.get("images/nope.png") is None
    assert len(thumbs.uris) == 2 and thumbs.uris[0].startswith("data:image/jpeg;base64,")
    base64.b64decode(thumbs.uris[1].split(",", 1)[1], validate=True)


def test_budget_stops_new_thumbnails(tmp_path: Path) -> None:
    for i in range(3):
        Image.new("RGB", (64, 64), (i * 80, 0, 0)).save(tmp_path / f"{i}.png")
    thumbs = Thumbnails(tmp_path, budget_bytes=1)
    assert thumbs.get("0.png") == 0
    assert thumbs.get("1.png") is None and thumbs.skipped == {"1.png"}
