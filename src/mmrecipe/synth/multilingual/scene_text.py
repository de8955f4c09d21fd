"""Multilingual scene text on photos: signs and painted words where a reviewer would accept them.

:func:`place_text` writes a few sign lines (each from its language's grammar, in a Noto face of
its script, shaped by raqm) onto a photo: only on regions :mod:`mmrecipe.synth.multilingual.placement`
accepts (flat, face-free, readable), turned to the perspective of the region's surroundings.
The ground truth holds each region's text, language, font, quad and word quads, and the
rejected proposals by reason. The ``scene_text`` generator does this on scikit-image's bundled
photos (the offline default); the ``scene_text_on_images`` op does it on the user's photos.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from mmrecipe.errors import ConfigError
from mmrecipe.synth.multilingual.fonts import FontFace, font_catalog, load_font, pick_face
from mmrecipe.synth.multilingual.languages import LanguageMix, expand, is_rtl, script_of
from mmrecipe.synth.multilingual.placement import (
    Surface,
    apply_homography,
    find_faces,
    homography,
    text_quad,
)
from mmrecipe.synth.render import np_rng

#: plate fills (text in black or white on them, whichever reads) and paint colours
_PLATES = [(200, 30, 30), (20, 60, 150), (20, 110, 50), (240, 240, 235), (250, 200, 40)]
_PAINTS = [(15, 15, 15), (245, 245, 245), (190, 25, 25), (20, 50, 140), (250, 215, 60)]
#: text height as a fraction of the image's shorter side, per difficulty
_SIZES = {1: (0.07, 0.1), 2: (0.05, 0.08), 3: (0.035, 0.06)}
_LINES = {1: (1, 1), 2: (1, 2), 3: (2, 3)}


@dataclass
class SceneTextSettings:
    """What :func:`place_text` may do (defaults measured on the bundled photos: README)."""

    languages: LanguageMix = field(default_factory=lambda: LanguageMix(None))
    #: mean gradient magnitude (gray levels) a region may have for painted text / for a plate
    max_detail: float = 8.0
    max_detail_plate: float = 12.0
    #: share of edge pixels a region may have for painted text / for a plate (placement.py)
    max_edge_density: float = 0.04
    max_edge_density_plate: float = 0.06
    #: WCAG contrast ratio painted text must have against its region's mean colour (4.5:
    #: WCAG's AA level for body text)
    min_contrast: float = 4.5
    #: share of texts on a sign plate (the rest painted or printed on the surface)
    plate_ratio: float = 0.5
    #: random placements proposed per text size before it shrinks (three sizes)
    tries: int = 150
    #: longest side the photo is scaled to first
    max_side: int = 768
    font_dirs: list[str] | None = None

    def __post_init__(self) -> None:
        if self.max_detail <= 0 or self.max_detail_plate <= 0:
            raise ConfigError("max_detail and max_detail_plate must be > 0")
        if not 0 < self.max_edge_density <= 1 or not 0 < self.max_edge_density_plate <= 1:
            raise ConfigError("max_edge_density must be in (0, 1]")
        if self.min_contrast < 1:
            raise ConfigError("min_contrast is a WCAG ratio: 1 (none) to 21")
        if not 0 <= self.plate_ratio <= 1:
            raise ConfigError("plate_ratio must be in 0..1")
        if self.tries < 1 or self.max_side < 64:
            raise ConfigError("tries must be >= 1 and max_side >= 64")

    def catalog(self) -> dict[str, list[FontFace]]:
        return _catalog(
            tuple(self.languages.scripts),
            tuple(sorted(self.languages.alphabets().items())),
            tuple(self.font_dirs or ()),
        )


@lru_cache(maxsize=8)
def _catalog(
    scripts: tuple[str, ...], alphabets: tuple[tuple[str, str], ...], dirs: tuple[str, ...]
) -> dict[str, list[FontFace]]:
    return font_catalog(list(scripts), dict(alphabets), list(dirs) or None)


def fit_photo(image: Image.Image, max_side: int) -> Image.Image:
    image = image.convert("RGB")
    scale = max_side / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def place_text(
    photo: Image.Image,
    rng: random.Random,
    difficulty: int,
    settings: SceneTextSettings,
    faces: list[tuple[float, float, float, float]] | None = None,
    objects: list[tuple[float, float, float, float]] | None = None,
) -> tuple[Image.Image, dict[str, Any] | None, Counter[str]]:
    """Text lines on ``photo`` (already fitted); the ground truth, or None when no line found
    a place, and the rejected proposals by reason. ``faces``: boxes found before (cached);
    ``objects``: more boxes to keep clear (a detector's people and animals)."""
    image = photo.copy()
    surface = Surface(image, find_faces(image) if faces is None else faces, objects)
    catalog = settings.catalog()
    lo, hi = _LINES[difficulty]
    regions: list[dict[str, Any]] = []
    for _ in range(rng.randint(lo, hi)):
        region = _place_line(image, rng, difficulty, settings, catalog, surface)
        if region is not None:
            regions.append(region)
    if not regions:
        return image, None, surface.rejects
    regions.sort(key=lambda r: (r["bbox"][1], r["bbox"][0]))
    words: list[dict[str, Any]] = []
    for k, region in enumerate(regions):
        for w in region["words"]:
            words.append({**w, "line": k})
    blur = {1: 0.0, 2: round(rng.uniform(0.0, 0.5), 2), 3: round(rng.uniform(0.3, 0.9), 2)}
    noise = {1: 0.0, 2: 0.0, 3: 5.0}[difficulty]
    image = _degrade(image, rng, blur[difficulty], noise)
    gt = {
        "mode": "scene",
        "regions": [{k: v for k, v in r.items() if k != "words"} for r in regions],
        "lines": [r["text"] for r in regions],
        "words": words,
        "faces_avoided": len(surface.faces),
        "objects_avoided": len(surface.objects),
        "placement_rejects": dict(sorted(surface.rejects.items())),
        "render": {"blur": blur[difficulty], "noise": noise, "size": list(image.size)},
    }
    return image, gt, surface.rejects


def _place_line(
    image: Image.Image,
    rng: random.Random,
    difficulty: int,
    settings: SceneTextSettings,
    catalog: dict[str, list[FontFace]],
    surface: Surface,
) -> dict[str, Any] | None:
    lang = settings.languages.draw(rng)
    script = script_of(lang)
    text = expand(rng, lang, "sign")
    face = rng.choice(pick_face(catalog[script], rng.choice(("bold", "bold", "regular"))))
    plate = rng.random() < settings.plate_ratio
    # sizes in steps of 4 px: few font objects to cache (memory stays flat over a run)
    size = _step(min(image.size) * rng.uniform(*_SIZES[difficulty]))
    for _shrink in range(3):
        if size < 12:
            return None
        font = load_font(face.path, face.index, size)
        pad = max(2, size // 3) if plate else max(1, size // 8)
        direction = "rtl" if is_rtl(lang) else "ltr"
        left, top, right, bottom = font.getbbox(text, direction=direction)
        tw, th = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
        found = surface.propose(
            rng,
            tw,
            th,
            settings.max_detail_plate if plate else settings.max_detail,
            settings.max_edge_density_plate if plate else settings.max_edge_density,
            1.0 if plate else settings.min_contrast,
            _PLATES if plate else _PAINTS,
            settings.tries,
        )
        if found is not None:
            break
        size = _step(size * 0.8)
    else:
        return None
    region, color = found
    quad = text_quad(region.box, region.angle_top, region.angle_bottom)
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    qx0, qy0 = math.floor(min(xs)), math.floor(min(ys))
    qx1, qy1 = math.ceil(max(xs)), math.ceil(max(ys))
    if qx0 < 0 or qy0 < 0 or qx1 > image.width or qy1 > image.height:
        surface.rejects["out_of_frame"] += 1
        return None
    layer = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    if plate:
        draw.rounded_rectangle([0, 0, tw - 1, th - 1], radius=pad, fill=(*color, 240))
        ink = (20, 20, 20) if sum(color) > 600 or color == (250, 200, 40) else (255, 255, 255)
    else:
        ink = color
    origin = (pad - left, pad - top)
    draw.text(origin, text, font=font, fill=(*ink, 255), direction=direction)
    boxes_of_words = word_boxes(text, font, direction, origin, tw)
    flat = [(0.0, 0.0), (float(tw), 0.0), (float(tw), float(th)), (0.0, float(th))]
    local = [(x - qx0, y - qy0) for x, y in quad]
    forward = homography(flat, local)
    backward = homography(local, flat)
    coeffs = tuple((backward / backward[2, 2]).flatten()[:8])
    warped = layer.transform(
        (qx1 - qx0, qy1 - qy0), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC
    )
    image.paste(warped, (qx0, qy0), warped)
    surface.block((qx0, qy0, qx1, qy1))
    # the text's own box (inside the plate's padding, with a small margin): what recognizers
    # read, without the plate's edges (read as "[" or "|" otherwise)
    m = min(pad, max(2, size // 6))
    text_flat = (pad - m, pad - m, tw - pad + m, th - pad + m)
    text_quad_px = [(x + qx0, y + qy0) for x, y in apply_homography(forward, corners(text_flat))]
    words = []
    for word, box in boxes_of_words:
        q = [(x + qx0, y + qy0) for x, y in apply_homography(forward, corners(box))]
        words.append(word_record(word, q))
    return {
        "text": text,
        "language": lang,
        "script": script,
        "direction": direction,
        "font": face.label,
        "font_size": size,
        "plate": plate,
        "color": list(color),
        "ink": list(ink),
        "quad": [[round(x, 1), round(y, 1)] for x, y in quad],
        "bbox": [qx0, qy0, qx1, qy1],
        "flat_size": [tw, th],
        "text_quad": [[round(x, 1), round(y, 1)] for x, y in text_quad_px],
        "text_flat_size": [text_flat[2] - text_flat[0], text_flat[3] - text_flat[1]],
        "detail": round(region.detail, 2),
        "angle_top": region.angle_top,
        "angle_bottom": region.angle_bottom,
        "words": words,
    }


def _step(size: float) -> int:
    return 4 * round(size / 4)


def word_boxes(
    text: str, font: Any, direction: str, origin: tuple[float, float], width: int
) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each space-separated word's box in the flat layer. Left to right: a word starts after
    the advance of the words before it; right to left (Arabic): the first word is rightmost,
    so a word ends where the advance of the words before it, counted from the right, ends."""
    words = text.split(" ")
    ox, oy = origin
    full = font.getlength(text, direction=direction)
    out = []
    for k, word in enumerate(words):
        before = font.getlength(" ".join(words[:k]) + " ", direction=direction) if k else 0.0
        length = font.getlength(word, direction=direction)
        _l, top, _r, bottom = font.getbbox(word, direction=direction)
        x0 = ox + before if direction == "ltr" else ox + full - before - length
        out.append((word, (x0, oy + top, x0 + length, oy + bottom)))
    return out


def corners(box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def word_record(text: str, quad: list[tuple[float, float]]) -> dict[str, Any]:
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return {
        "text": text,
        "bbox": [math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys))],
        "quad": [[round(x, 1), round(y, 1)] for x, y in quad],
    }


def _degrade(image: Image.Image, rng: random.Random, blur: float, noise: float) -> Image.Image:
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        arr = np.asarray(image).astype(np.int16)
        grain = np_rng(rng).normal(0, noise, arr.shape[:2]).astype(np.int16)
        image = Image.fromarray((arr + grain[..., None]).clip(0, 255).astype(np.uint8), "RGB")
    return image
