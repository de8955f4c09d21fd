"""A folder of adversarial images: one reject per bad file with a readable reason, every good
file kept (normalized where needed)."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.testing.records import data_records

REPO = Path(__file__).resolve().parents[3]


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares huge dimensions: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def make_adversarial_folder(root: Path) -> tuple[dict[str, str], set[str]]:
    """Returns ({bad file: expected reason}, {good files}) relative to ``root``."""
    rng = np.random.default_rng(0)
    (root / "sub dir").mkdir(parents=True)
    good: set[str] = set()
    bad: dict[str, str] = {}

    def photo(w: int = 48, h: int = 40) -> Image.Image:
        return Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), "RGB")

    photo().save(root / "plain.jpg", quality=90)
    good.add("plain.jpg")
    photo().save(root / "sub dir" / "ünïcode naïve 名前.png")
    good.add("sub dir/ünïcode naïve 名前.png")
    photo().convert("CMYK").save(root / "cmyk.jpg")
    good.add("cmyk.jpg")
    Image.fromarray((rng.integers(0, 65535, (30, 30))).astype(np.uint16)).save(root / "deep16.png")
    good.add("deep16.png")
    pal = photo().convert("P", palette=Image.Palette.ADAPTIVE)
    pal.info["transparency"] = 0
    pal.save(root / "palette.png", transparency=0)
    good.add("palette.png")
    rgba = photo().convert("RGBA")
    rgba.putalpha(128)
    rgba.save(root / "alpha.png")
    good.add("alpha.png")
    frames = [photo() for _ in range(3)]
    frames[0].save(root / "anim.gif", save_all=True, append_images=frames[1:], duration=50)
    good.add("anim.gif")
    rotated = photo(60, 30)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated.save(root / "rotated.jpg", exif=exif)
    good.add("rotated.jpg")
    photo().save(root / "pic.tiff")
    good.add("pic.tiff")
    photo().save(root / "pic.webp")
    good.add("pic.webp")

    buf = io.BytesIO()
    photo(200, 200).save(buf, format="JPEG")
    (root / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    bad["truncated.jpg"] = "truncated"
    (root / "zero.png").write_bytes(b"")
    bad["zero.png"] = "empty_file"
    (root / "notes.jpg").write_text("this is a text file with an image extension\n")
    bad["notes.jpg"] = "not_an_image"
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    bad["corrupt.png"] = "corrupt"
    (root / "bomb.png").write_bytes(_png_header_only(100_000, 100_000))
    bad["bomb.png"] = "decompression_bomb"
    (root / "wide.png").write_bytes(_png_header_only(30_000, 100))
    bad["wide.png"] = "too_large"
    Image.new("RGB", (4, 4)).save(root / "tiny.png")
    bad["tiny.png"] = "too_small"
    (root / "copy.jpg").write_bytes((root / "plain.jpg").read_bytes())
    bad["copy.jpg"] = "exact_duplicate"
    outside = root.parent / "outside.png"
    photo().save(outside)
    os.symlink(outside, root / "escape.png")
    bad["escape.png"] = "image_outside_root"
    return bad, good


def test_adversarial_folder_one_reject_per_bad_file(tmp_path: Path) -> None:
    images = tmp_path / "in"
    bad, good = make_adversarial_folder(images)
    run = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(REPO / "recipes/curate-folder.yaml"),
            "--input",
            str(images),
            "-o",
            str(run),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output

    rejects = [
        json.loads(line)
        for f in sorted((run / "rejects").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    by_file = {r["fields"]["source_file"]: r for r in rejects}
    assert len(rejects) == len(bad), [r["fields"]["source_file"] for r in rejects]
    # the duplicate pair keeps the first file in sorted order: copy.jpg < plain.jpg
    expected = dict(bad)
    del expected["copy.jpg"]
    expected["plain.jpg"] = "exact_duplicate"
    for name, reason in expected.items():
        assert by_file[name]["reason"] == reason, (name, by_file[name])
        assert by_file[name]["detail"], name
        assert by_file[name]["op"] in ("read", "intake", "dedup")

    kept = data_records(run / "data")
    samples = [
        json.loads(line)
        for f in sorted((run / "samples").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    kept_files = {s["fields"]["source_file"] for s in samples}
    assert kept_files == (good - {"plain.jpg"}) | {"copy.jpg"}
    assert all(r["messages"] == [] for r in kept)
    # every kept image opens as 8-bit RGB/L, upright
    for record in kept:
        path = Path(record["images"][0]["path"])
        path = path if path.is_absolute() else run / path
        with Image.open(path) as im:
            assert im.mode in ("RGB", "L"), (record, im.mode)
    rotated = next(s for s in samples if s["fields"]["source_file"] == "rotated.jpg")
    assert (rotated["images"][0]["width"], rotated["images"][0]["height"]) == (30, 60)
    # size_bytes is the size of the file the sample points at (the normalized PNG, if any)
    for s in samples:
        ref = s["images"][0]
        path = Path(ref["path"]) if Path(ref["path"]).is_absolute() else run / ref["path"]
        assert ref["size_bytes"] == path.stat().st_size, s["fields"]["source_file"]
    assert any("original_images" in s["fields"] for s in samples)

    stats = json.loads((run / "stats.json").read_text())
    assert stats["totals"] == {
        "input": len(bad) + len(good),
        "kept": len(good),
        "rejected": len(bad),
    }
    assert stats["steps"]["intake"]["rejected"]["truncated"] == 1


def test_decompression_bomb_quotes_the_recipes_max_pixels(tmp_path: Path) -> None:
    from mmrecipe.imaging import ImageRejected, Limits, check_image

    (tmp_path / "bomb.png").write_bytes(_png_header_only(100_000, 100_000))
    limits = Limits(max_pixels=40_000_000)
    try:
        check_image(tmp_path / "bomb.png", limits)
    except ImageRejected as exc:
        assert exc.reason == "decompression_bomb"
        assert "10000000000 pixels" in exc.detail and "max_pixels=40000000" in exc.detail
        assert "DOS attack" not in exc.detail  # Pillow's own text and limit
    else:
        raise AssertionError("the bomb was opened")
