"""Small drawing helpers shared by the synthesis generators (fonts, dashed lines, photos)."""

from __future__ import annotations

import importlib.util
import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

#: colour photos bundled inside scikit-image's wheel (no download), used as natural backgrounds
SKIMAGE_PHOTOS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "ihc.png",
)


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font: identical glyphs on every machine with this Pillow."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def dashed_line(
    draw: ImageDraw.ImageDraw,
    p: tuple[float, float],
    q: tuple[float, float],
    fill: tuple[int, int, int],
    width: int,
    dash: float = 10.0,
) -> None:
    length = math.dist(p, q)
    if length == 0:
        return
    n = max(1, int(length // dash))
    for i in range(0, n, 2):
        a, b = i / n, min(1.0, (i + 1) / n)
        draw.line(
            [
                (p[0] + (q[0] - p[0]) * a, p[1] + (q[1] - p[1]) * a),
                (p[0] + (q[0] - p[0]) * b, p[1] + (q[1] - p[1]) * b),
            ],
            fill=fill,
            width=width,
        )


def _skimage_data_dir() -> Path | None:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data"
    return path if path.is_dir() else None


@lru_cache(maxsize=1)
def available_photos() -> tuple[str, ...]:
    """Names of the bundled photos present here (empty without scikit-image)."""
    root = _skimage_data_dir()
    if root is None:
        return ()
    return tuple(name for name in SKIMAGE_PHOTOS if (root / name).is_file())


@lru_cache(maxsize=8)
def _load_photo(name: str) -> Image.Image:
    root = _skimage_data_dir()
    assert root is not None
    with Image.open(root / name) as im:
        return im.convert("RGB")


def photo_crop(name: str, box: tuple[int, int, int, int], size: tuple[int, int]) -> Image.Image:
    """A crop (fractions given in per-mille of the photo) resized to ``size``."""
    photo = _load_photo(name)
    w, h = photo.size
    x0, y0, x1, y1 = box
    crop = photo.crop((x0 * w // 1000, y0 * h // 1000, x1 * w // 1000, y1 * h // 1000))
    return crop.resize(size, Image.Resampling.BILINEAR)
