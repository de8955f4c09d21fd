"""Edit verification metrics: did the edit happen, did it stay where asked, does it go the way
the text says?

- Pixel change (numpy, no model): the fraction of pixels whose largest channel difference
  exceeds a tolerance, inside the edit region and outside it (a region edit that repaints the
  whole image leaks; an "edit" that changes nothing did not happen).
- CLIP directional similarity (InstructPix2Pix, Brooks et al. 2023; StyleGAN-NADA's loss):
  the cosine between the change of the image embeddings (edited - source) and the change of
  the caption embeddings (target caption - source caption).
- CLIP image similarity: cosine between source and edited image embeddings (InstructPix2Pix
  keeps pairs >= 0.75: the edit must not replace the whole picture).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class PixelChange:
    """Fractions of pixels changed (0..1) inside and outside the region; ``inside`` is the
    whole image when no region was given (then ``outside`` is None)."""

    inside: float
    outside: float | None
    #: mean absolute difference over the whole image, 0..1
    mean_abs: float


def pixel_change(
    source: Image.Image, edited: Image.Image, mask: np.ndarray | None = None, tolerance: int = 16
) -> PixelChange:
    """Compare two images of one size pixel by pixel; ``tolerance`` (0-255) absorbs the codec
    and VAE round-trip noise an untouched region still gets."""
    a = np.asarray(source.convert("RGB"), dtype=np.int16)
    b = np.asarray(edited.convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        raise ValueError(f"image sizes differ: {a.shape[1::-1]} vs {b.shape[1::-1]}")
    diff = np.abs(a - b)
    changed = diff.max(axis=2) > tolerance
    mean_abs = float(diff.mean() / 255.0)
    if mask is None:
        return PixelChange(inside=float(changed.mean()), outside=None, mean_abs=mean_abs)
    if mask.shape != changed.shape:
        raise ValueError(f"mask {mask.shape[::-1]} is not the image's size {changed.shape[::-1]}")
    inside = float(changed[mask].mean()) if mask.any() else 0.0
    outside = float(changed[~mask].mean()) if (~mask).any() else 0.0
    return PixelChange(inside=inside, outside=outside, mean_abs=mean_abs)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v * 0.0


def clip_direction(
    source_image: np.ndarray,
    edited_image: np.ndarray,
    source_text: np.ndarray,
    target_text: np.ndarray,
) -> float:
    """cos(edited - source image embeddings, target - source caption embeddings); 0 when
    either change is null (nothing to compare)."""
    di = _unit(np.asarray(edited_image, np.float64) - np.asarray(source_image, np.float64))
    dt = _unit(np.asarray(target_text, np.float64) - np.asarray(source_text, np.float64))
    return float(np.dot(di, dt))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(_unit(np.asarray(a, np.float64)), _unit(np.asarray(b, np.float64))))
