"""Rule filter on images (HoneyPipe): too small, extreme aspect ratio, near-blank."""

from __future__ import annotations

import numpy as np
from PIL import Image

from mmrecipe.curation.phash import base_thumbnail, open_draft
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("image_quality")
class ImageQuality(FilterOp):
    """Scores every image of a sample, keeping the worst: ``scores.<step>_min_side`` (pixels),
    ``scores.<step>_aspect`` (long side / short side) and ``scores.<step>_std`` (grey-level
    standard deviation of a 64x64 thumbnail, 0..255: a blank or near-uniform image scores near
    0). JPEGs are decoded at reduced size. Rejects: ``too_small``, ``extreme_aspect``,
    ``near_blank``, ``unreadable_image``; a sample without images is kept (text-only data).

    Args:
        min_side: shortest side kept, in pixels
        max_aspect: largest long/short side ratio kept
        min_std: lowest grey-level standard deviation kept (0 switches the check off)
    """

    reads = ("images",)
    writes = ("scores.*",)

    def __init__(self, min_side: int = 32, max_aspect: float = 10.0, min_std: float = 4.0) -> None:
        self.min_side = min_side
        self.max_aspect = max_aspect
        self.min_std = min_std

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            if sample.rejected or not sample.images:
                continue
            sides, aspects, stds = [], [], []
            for index, ref in enumerate(sample.images):
                try:
                    with Image.open(ref.path) as im:
                        w, h = im.size
                        stds.append(float(np.std(base_thumbnail(open_draft(im)))))
                except Exception as exc:
                    sample.reject(self.name, "unreadable_image", f"image {index}: {exc}")
                    break
                sides.append(min(w, h))
                aspects.append(max(w, h) / max(1, min(w, h)))
            else:
                sample.scores[f"{self.name}_min_side"] = float(min(sides))
                sample.scores[f"{self.name}_aspect"] = round(max(aspects), 4)
                sample.scores[f"{self.name}_std"] = round(min(stds), 3)

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        side = sample.scores.get(f"{self.name}_min_side")
        if side is None:
            return None
        aspect = sample.scores[f"{self.name}_aspect"]
        std = sample.scores[f"{self.name}_std"]
        if side < self.min_side:
            return ("too_small", f"shortest side {side:g} px < {self.min_side}")
        if aspect > self.max_aspect:
            return ("extreme_aspect", f"aspect ratio {aspect:g} > {self.max_aspect}")
        if std < self.min_std:
            return ("near_blank", f"grey-level std {std:g} < {self.min_std}")
        return None
