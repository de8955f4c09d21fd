"""Word records shared by pages and scenes: boxes, rotated quads, and image degradation."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from mmrecipe.synth.render import np_rng


def rotate_points(
    points: list[tuple[float, float]], angle: float, size: tuple[int, int], new: tuple[int, int]
) -> list[tuple[float, float]]:
    """Where points land after ``Image.rotate(angle, expand=True)`` (counter-clockwise)."""
    rad = math.radians(angle)
    c, s = math.cos(rad), math.sin(rad)
    cx, cy = size[0] / 2, size[1] / 2
    nx, ny = new[0] / 2, new[1] / 2
    return [
        (c * (x - cx) + s * (y - cy) + nx, -s * (x - cx) + c * (y - cy) + ny) for x, y in points
    ]


def word_record(text: str, quad: list[tuple[float, float]], line: int) -> dict[str, Any]:
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return {
        "text": text,
        "bbox": [
            math.floor(min(xs)),
            math.floor(min(ys)),
            math.ceil(max(xs)),
            math.ceil(max(ys)),
        ],
        "quad": [[round(x, 1), round(y, 1)] for x, y in quad],
        "line": line,
    }


def box_corners(box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def degrade(image: Image.Image, rng: random.Random, blur: float, noise: float) -> Image.Image:
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        arr = np.asarray(image).astype(np.int16)
        # one grey-level noise plane for all channels: sensor-like, and far smaller as PNG
        grain = np_rng(rng).normal(0, noise, arr.shape[:2]).astype(np.int16)
        arr = arr + grain[..., None]
        image = Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")
    return image
