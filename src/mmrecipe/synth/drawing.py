"""Small drawing helpers shared by the synthesis generators (fonts, dashed lines, photos)."""

from __future__ import annotations

import importlib.util
import math
import random
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


def photo_crop(name: str, fx: float, fy: float, fside: float, size: tuple[int, int]) -> Image.Image:
    """A square crop (side ``fside`` of the short side, placed at fractions ``fx``, ``fy``)."""
    photo = _load_photo(name)
    w, h = photo.size
    side = max(8, int(fside * min(w, h)))
    x0, y0 = int(fx * (w - side)), int(fy * (h - side))
    crop = photo.crop((x0, y0, x0 + side, y0 + side))
    return crop.resize(size, Image.Resampling.BILINEAR)


def procedural_scene(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A random 'scene': a two-colour gradient with overlapping translucent shapes."""
    w, h = size
    c0 = tuple(rng.randint(0, 255) for _ in range(3))
    c1 = tuple(rng.randint(0, 255) for _ in range(3))
    top = Image.new("RGB", (1, 2))
    top.putpixel((0, 0), c0)  # type: ignore[arg-type]
    top.putpixel((0, 1), c1)  # type: ignore[arg-type]
    im = top.resize((w, h), Image.Resampling.BILINEAR).convert("RGBA")
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(8, 16)):
        colour = (
            rng.randint(0, 255),
            rng.randint(0, 255),
            rng.randint(0, 255),
            rng.randint(120, 230),
        )
        x, y = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h
        r = rng.uniform(0.05, 0.3) * min(w, h)
        kind = rng.choice(["ellipse", "rect", "poly"])
        if kind == "ellipse":
            draw.ellipse([x - r, y - r * rng.uniform(0.5, 1.0), x + r, y + r], fill=colour)
        elif kind == "rect":
            draw.rectangle([x - r, y - r / 2, x + r, y + r / 2], fill=colour)
        else:
            pts = [
                (x + r * math.cos(t), y + r * math.sin(t))
                for t in sorted(rng.uniform(0, 2 * math.pi) for _ in range(rng.randint(3, 6)))
            ]
            draw.polygon(pts, fill=colour)
    return Image.alpha_composite(im, layer).convert("RGB")


def background(
    rng: random.Random, size: tuple[int, int], photo_share: float = 0.6
) -> tuple[Image.Image, str]:
    """A natural photo crop (scikit-image's bundled photos) or a procedural scene, and its name."""
    photos = available_photos()
    if photos and rng.random() < photo_share:
        name = rng.choice(photos)
        crop = photo_crop(name, rng.random(), rng.random(), rng.uniform(0.55, 1.0), size)
        return crop, f"skimage:{name}"
    return procedural_scene(rng, size), "procedural"
