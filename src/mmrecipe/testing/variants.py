"""Distinct photos and their near-duplicate variants, made offline from scikit-image's samples.

Distinct images are quadrants (no overlap) of the bundled sample photos, at 640x480. Variants
are what a dataset's copies of one photo go through: resizing, JPEG recompression, a format
change, crops of up to 5% a side, mild brightness/contrast shifts. Crops keeping less than half
of a photo are *not* near-duplicates. Used by tests and ``benchmarks/near_dedup.py``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

PHOTOS = (
    "astronaut",
    "camera",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "rocket",
    "brick",
    "gravel",
    "cell",
    "grass",
)
SIZE = (640, 480)


def distinct_photos(limit: int | None = None) -> list[Image.Image]:
    """640x480 RGB images, no two sharing content: four quadrants of each sample photo."""
    import skimage.data

    out: list[Image.Image] = []
    for name in PHOTOS:
        im = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
        w, h = im.size
        for x, y in ((0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)):
            out.append(im.crop((x, y, x + w // 2, y + h // 2)).resize(SIZE))
            if limit is not None and len(out) >= limit:
                return out
    return out


def recompress(im: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def variants(im: Image.Image, rng: np.random.Generator) -> dict[str, Image.Image]:
    """Near-duplicate copies of ``im`` by kind (a random crop of up to 5% a side)."""
    w, h = im.size
    cut = rng.uniform(0.0, 0.05, 4)
    crop_box = (
        int(cut[0] * w),
        int(cut[1] * h),
        w - int(cut[2] * w),
        h - int(cut[3] * h),
    )
    return {
        "resized": im.resize((w // 2, h // 2), Image.Resampling.BILINEAR),
        "recompressed": recompress(im, int(rng.integers(30, 60))),
        "cropped": im.crop(crop_box),
        "brighter": ImageEnhance.Brightness(im).enhance(float(rng.uniform(1.1, 1.25))),
        "contrast": ImageEnhance.Contrast(im).enhance(float(rng.uniform(0.75, 0.9))),
    }


def half_crop(im: Image.Image) -> Image.Image:
    """A crop keeping less than half of ``im``: new content, not a near-duplicate."""
    w, h = im.size
    return im.crop((w // 2 + w // 20, 0, w, h))


def write_set(folder: Path, n_photos: int, seed: int = 0) -> dict[str, str]:
    """Write photos and variants to ``folder`` (JPEG, variants also as PNG/WebP for a format
    change); returns file name -> name of its original photo (distinct files map to
    themselves, half crops count as originals of their own)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    for i, photo in enumerate(distinct_photos(n_photos)):
        base = f"p{i:03d}"
        photo.save(folder / f"{base}.jpg", quality=92)
        truth[f"{base}.jpg"] = base
        for kind, im in variants(photo, rng).items():
            name = f"{base}_{kind}.jpg"
            im.save(folder / name, quality=90)
            truth[name] = base
        photo.save(folder / f"{base}_format.png")
        truth[f"{base}_format.png"] = base
        half_crop(photo).save(folder / f"{base}_half.jpg", quality=90)
        truth[f"{base}_half.jpg"] = f"{base}_half"
    return truth
