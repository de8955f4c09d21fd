"""Blur: the variance of the Laplacian (Pech-Pacheco et al. 2000), the usual web-image
sharpness measure (Data-Juicer, LAION tooling): a blurred image has few edges, so a low
variance."""

from __future__ import annotations

from typing import Any, ClassVar

import cv2
import numpy as np

from mmrecipe.errors import ConfigError
from mmrecipe.ops.intake.image_scores import ImageScorer, standard_grey
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of OpenCV's 3x3 Laplacian of a grey image (float32 0..255)."""
    return float(cv2.Laplacian(grey, cv2.CV_32F, ksize=1).var())


@register_op("blur_score")
class BlurScore(ImageScorer):
    """``scores.<step>_laplacian_var``: variance of the Laplacian of the grey image resized to
    a ``long_side`` of pixels (sharpness depends on scale, so every image is measured at one);
    the blurriest image of a sample is stored. Gate it with ``score_gate`` (``minimums``; on
    photos at 512 px, values under ~100 are visibly soft: tune on your data). Rejects:
    ``unreadable_image``.

    Args:
        aggregate: worst (the sample's worst image is stored) or median (most images)
        long_side: the long side every image is measured at, in pixels
    """

    metrics: ClassVar[dict[str, bool]] = {"laplacian_var": True}

    def __init__(self, long_side: int = 512, aggregate: str = "worst") -> None:
        self.set_aggregate(aggregate)
        if long_side < 16:
            raise ConfigError("blur_score: long_side must be at least 16 pixels")
        self.long_side = long_side

    def settings(self) -> dict[str, Any]:
        return {"long_side": self.long_side}

    def measure(self, ref: ImageRef) -> dict[str, float]:
        return {"laplacian_var": laplacian_variance(standard_grey(ref, self.long_side))}
