"""Box coordinate conventions, computed exactly.

Annotations store boxes as COCO does: ``[x, y, w, h]`` in pixels of the original image. Each
method wants them another way; the conversions here are exact on the decimal value written in
the annotation file (``Fraction(repr(x))``), so a test can recompute every digit:

- ``llava``: LLaVA's symbolic representation, ``[x1, y1, x2, y2]`` normalized to 0–1 by the
  image width and height, rounded to 3 decimals (as in LLaVA's GPT-4 prompts; not stated in the seeds).
- ``pixels``: ``[x1, y1, x2, y2]`` in pixels, rounded to integers.
- ``coco``: ``[x, y, w, h]`` in pixels, as stored.
- ``qwenvl``: Qwen-VL's ``(x1,y1),(x2,y2)``, each coordinate ``floor(v / size * 1000)``, kept
  in [0, 1000) (Qwen-VL §3.1.2: "normalized within the range [0, 1000)").
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

BoxConvention = Literal["llava", "pixels", "coco", "qwenvl"]
CONVENTIONS: tuple[str, ...] = ("llava", "pixels", "coco", "qwenvl")

#: how each convention is explained to a language model, next to the boxes
DESCRIBE: dict[str, str] = {
    "llava": "[x1, y1, x2, y2]: top-left and bottom-right corners as fractions (0 to 1) of "
    "the image width and height",
    "pixels": "[x1, y1, x2, y2]: top-left and bottom-right corners in pixels",
    "coco": "[x, y, width, height] in pixels, (x, y) the top-left corner",
    "qwenvl": "(x1,y1),(x2,y2): top-left and bottom-right corners scaled to 0-999 of the image "
    "width and height",
}


class BoxError(ValueError):
    """A box that cannot be placed on its image (degenerate, non-numeric, outside it)."""


def exact(value: float | int | str) -> Fraction:
    """The decimal value as written (``0.3`` is 3/10, not the nearest binary float)."""
    if isinstance(value, bool):
        raise BoxError(f"not a coordinate: {value!r}")
    try:
        out = Fraction(float.__repr__(value) if isinstance(value, float) else str(value))
    except (ValueError, ZeroDivisionError):
        raise BoxError(f"not a coordinate: {value!r}") from None
    return out


def corners(
    bbox: list[float], width: int, height: int
) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """``[x, y, w, h]`` (pixels) -> exact ``(x1, y1, x2, y2)`` clipped to the image.

    A box with no area after clipping, or with non-finite values, raises :class:`BoxError`."""
    if not isinstance(bbox, list | tuple) or len(bbox) != 4:
        raise BoxError(f"a box is [x, y, w, h], got {bbox!r}")
    if any(isinstance(v, float) and not math.isfinite(v) for v in bbox):
        raise BoxError(f"non-finite box {bbox!r}")
    x, y, w, h = (exact(v) for v in bbox)
    if w <= 0 or h <= 0:
        raise BoxError(f"box {bbox!r} has no area")
    x1, y1 = max(x, Fraction(0)), max(y, Fraction(0))
    x2, y2 = min(x + w, Fraction(width)), min(y + h, Fraction(height))
    if x2 <= x1 or y2 <= y1:
        raise BoxError(f"box {bbox!r} lies outside the {width}x{height} image")
    return x1, y1, x2, y2


def _round(value: Fraction, digits: int = 0) -> Fraction:
    """Round half up (not Python's banker's rounding), exactly."""
    scale = 10**digits
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def _decimal(value: Fraction, digits: int) -> str:
    rounded = _round(value, digits)
    text = f"{rounded.numerator / rounded.denominator:.{digits}f}"
    return text


def qwen_coord(value: Fraction, size: int) -> int:
    """One coordinate in Qwen-VL's [0, 1000) space."""
    return min(999, math.floor(value * 1000 / size))


def format_box(
    bbox: list[float], width: int, height: int, convention: BoxConvention, digits: int = 3
) -> str:
    """One box as text in ``convention`` (see the module docstring)."""
    x1, y1, x2, y2 = corners(bbox, width, height)
    if convention == "llava":
        nx1, ny1, nx2, ny2 = x1 / width, y1 / height, x2 / width, y2 / height
        return "[" + ", ".join(_decimal(v, digits) for v in (nx1, ny1, nx2, ny2)) + "]"
    if convention == "pixels":
        return "[" + ", ".join(str(int(_round(v))) for v in (x1, y1, x2, y2)) + "]"
    if convention == "coco":
        return "[" + ", ".join(_num(v) for v in (x1, y1, x2 - x1, y2 - y1)) + "]"
    if convention == "qwenvl":
        a, b = qwen_coord(x1, width), qwen_coord(y1, height)
        c, d = qwen_coord(x2, width), qwen_coord(y2, height)
        return f"({a},{b}),({c},{d})"
    raise BoxError(f"unknown box convention {convention!r}; known: {', '.join(CONVENTIONS)}")


def _num(value: Fraction) -> str:
    """A pixel value as written: integers without a decimal point, others to 2 decimals."""
    if value.denominator == 1:
        return str(value.numerator)
    return _decimal(value, 2).rstrip("0").rstrip(".")


def smart_resize(
    width: int,
    height: int,
    factor: int = 28,
    min_pixels: int = 56 * 56,
    max_pixels: int = 28 * 28 * 16384,
) -> tuple[int, int]:
    """The size Qwen2.5-VL's processor resizes an image to (its ``smart_resize``): both sides
    multiples of ``factor``, the area within [min_pixels, max_pixels]. Qwen2.5-VL's absolute
    coordinates are pixels of this resized image. Returns (width, height)."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return w_bar, h_bar


def absolute_box(
    bbox: list[float], width: int, height: int, target: tuple[int, int] | None = None
) -> list[int]:
    """``[x1, y1, x2, y2]`` in integer pixels of the image resized to ``target`` (width,
    height; the original size when None), rounded half up: Qwen2.5-VL's ``bbox_2d``."""
    x1, y1, x2, y2 = corners(bbox, width, height)
    tw, th = target or (width, height)
    sx, sy = Fraction(tw, width), Fraction(th, height)
    return [int(_round(x1 * sx)), int(_round(y1 * sy)), int(_round(x2 * sx)), int(_round(y2 * sy))]
