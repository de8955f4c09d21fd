"""Low-information images: grey-level entropy and the share of the most common colour.

A blank page, a flat colour fill or a placeholder has a low entropy and one dominant colour;
a photo spreads over many grey levels and colours."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mmrecipe.errors import ConfigError
from mmrecipe.ops.intake.image_scores import ImageScorer, standard_rgb
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef


def grey_entropy(rgb: np.ndarray) -> float:
    """Shannon entropy (bits, 0..8) of the 256-bin grey-level histogram (ITU-R 601 luma)."""
    grey = (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.uint8)
    counts = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return max(0.0, float(-(p * np.log2(p)).sum()))  # never -0.0


def dominant_colour_share(rgb: np.ndarray, bits: int = 4) -> float:
    """Share of pixels (0..1) in the most common colour, channels quantized to ``bits`` bits
    (so JPEG noise on a flat fill still counts as one colour)."""
    q = (rgb >> (8 - bits)).astype(np.int64)
    codes = (q[..., 0] << (2 * bits)) | (q[..., 1] << bits) | q[..., 2]
    counts = np.bincount(codes.ravel())
    return float(counts.max() / codes.size)


@register_op("entropy_score")
class EntropyScore(ImageScorer):
    """``scores.<step>_entropy`` (grey-level entropy in bits, 0..8; the lowest of a sample's
    images) and ``scores.<step>_dominant_share`` (share of the most common colour at 4 bits a
    channel, 0..1; the highest). Gate them with ``score_gate``: ``minimums: {<step>_entropy:
    3}`` and ``maximums: {<step>_dominant_share: 0.9}`` drop flat fills and near-empty
    pages (tune on your data). Rejects: ``unreadable_image``.

    Args:
        aggregate: worst (the sample's worst image is stored) or median (most images)
        long_side: images are measured at most this large, in pixels
    """

    metrics: ClassVar[dict[str, bool]] = {"entropy": True, "dominant_share": False}

    def __init__(self, long_side: int = 256, aggregate: str = "worst") -> None:
        self.set_aggregate(aggregate)
        if long_side < 8:
            raise ConfigError("entropy_score: long_side must be at least 8 pixels")
        self.long_side = long_side

    def settings(self) -> dict[str, Any]:
        return {"long_side": self.long_side}

    def measure(self, ref: ImageRef) -> dict[str, float]:
        rgb = standard_rgb(ref, self.long_side)
        return {"entropy": grey_entropy(rgb), "dominant_share": dominant_colour_share(rgb)}
