"""Perceptual hashes from a reduced decode: the same bits as imagehash's definition, variants
close, distinct photos far, crop views catching crops."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from mmrecipe.curation.phash import image_hashes
from mmrecipe.testing.variants import distinct_photos, half_crop, variants


def _jpeg(im: Image.Image) -> io.BytesIO:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    buf.seek(0)
    return buf


def _views(im: Image.Image) -> np.ndarray:
    return np.array([int(h, 16) for h in image_hashes(_jpeg(im))], dtype=np.uint64)


def _distance(a: np.ndarray, b: np.ndarray) -> int:
    return min(int(np.bitwise_count(a ^ b[0]).min()), int(np.bitwise_count(a[0] ^ b).min()))


@pytest.fixture(scope="module")
def photos() -> list[Image.Image]:
    return distinct_photos(12)


def test_main_hash_agrees_with_imagehash(photos: list[Image.Image]) -> None:
    imagehash = pytest.importorskip("imagehash")
    for photo in photos[:6]:
        ours = int(image_hashes(_jpeg(photo))[0], 16)
        theirs = int(str(imagehash.phash(Image.open(_jpeg(photo)))), 16)
        # same definition, different thumbnail resampling: a few bits apart at most
        assert bin(ours ^ theirs).count("1") <= 8


def test_variants_collide_and_distinct_photos_do_not(photos: list[Image.Image]) -> None:
    rng = np.random.default_rng(0)
    views = [_views(p) for p in photos]
    for photo, base in zip(photos, views, strict=True):
        for kind, copy in variants(photo, rng).items():
            assert _distance(base, _views(copy)) <= 10, kind
        assert _distance(base, _views(half_crop(photo))) > 10
    for i in range(len(views)):
        for j in range(i + 1, len(views)):
            assert _distance(views[i], views[j]) > 10, (i, j)


def test_png_and_jpeg_paths_give_close_hashes(photos: list[Image.Image]) -> None:
    png = io.BytesIO()
    photos[0].save(png, "PNG")
    png.seek(0)
    a = np.array([int(h, 16) for h in image_hashes(png)], dtype=np.uint64)
    assert _distance(a, _views(photos[0])) <= 4
