"""What the web-image quality scorers share: one measurement per image, the worst image of a
sample stored in ``scores.<step>_<metric>``, measurements cached in the run's state by image
content so a re-run of the same run dir (new ``score_gate`` thresholds) measures nothing again.

The scorers only measure; thresholds live in ``score_gate`` steps (``minimums`` /
``maximums``), which re-tune a finished run at zero cost.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from mmrecipe.errors import ConfigError
from mmrecipe.imaging import to_rgb
from mmrecipe.ops.base import MapOp
from mmrecipe.sample import ImageRef, Sample


def standard_grey(ref: ImageRef, long_side: int) -> np.ndarray:
    """The image as float32 grey levels 0..255, resized so its long side is ``long_side``
    (JPEGs decoded at reduced size first): measurements comparable across resolutions."""
    with Image.open(ref.path) as im:
        im.draft("L", (long_side, long_side))  # JPEG: libjpeg scales by up to 1/8, >= size
        grey = im.convert("L") if im.mode in ("L", "RGB") else to_rgb(im).convert("L")
        grey.load()
    scale = long_side / max(grey.size)
    if scale < 1:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.float32)


def standard_rgb(ref: ImageRef, long_side: int) -> np.ndarray:
    """The image as uint8 RGB, its long side at most ``long_side``."""
    with Image.open(ref.path) as im:
        im.draft("RGB", (long_side, long_side))
        rgb = to_rgb(im)
        rgb.load()
    rgb.thumbnail((long_side, long_side), Image.Resampling.BOX)
    return np.asarray(rgb, dtype=np.uint8)


class ImageScorer(MapOp):
    """Base of the per-image scorers. Subclasses define ``metrics`` (name -> True when higher
    is better, so the sample's worst image has the lowest value) and ``measure``."""

    reads = ("images",)
    #: metric -> higher is better
    metrics: ClassVar[dict[str, bool]] = {}

    @property  # type: ignore[override]
    def writes(self) -> tuple[str, ...]:
        """``scores.<step>_<metric>``: named by the step, so a ``score_gate`` can read them."""
        return tuple(f"scores.{self.name}_{metric}" for metric in self.metric_kinds())

    #: how a sample's images combine: worst (every image must pass the gate) or median (most
    #: images must: CoMM drops a document when the majority of its images fail)
    aggregate: str = "worst"

    def _combine(self, values: list[float], higher_better: bool) -> float:
        if self.aggregate == "median":
            return round(float(np.median(values)), 4)
        return min(values) if higher_better else max(values)

    def set_aggregate(self, aggregate: str) -> None:
        if aggregate not in ("worst", "median"):
            raise ConfigError(
                f"{self.op_name}: aggregate must be worst or median, not {aggregate!r}"
            )
        self.aggregate = aggregate

    def metric_kinds(self) -> dict[str, bool]:
        """metric -> higher is better (the class's ``metrics`` unless an op names its own)."""
        return self.metrics

    def settings(self) -> dict[str, Any]:
        """What changes a measurement (part of the cache key)."""
        return {}

    def measure(self, ref: ImageRef) -> dict[str, float]:
        raise NotImplementedError

    def _cache_key(self, sha256: str) -> str:
        config = json.dumps([self.op_name, self.settings()], sort_keys=True)
        digest = hashlib.sha256(config.encode("utf-8")).hexdigest()[:16]
        # the run's cache takes hex keys (sha256 of what decides the answer)
        return hashlib.sha256(f"image_score\x1f{digest}\x1f{sha256}".encode()).hexdigest()

    def cached_measure(self, ref: ImageRef) -> dict[str, float]:
        state = self.ctx.state if self.ctx is not None else None
        key = self._cache_key(ref.sha256) if state is not None and ref.sha256 else None
        if key is not None:
            hit = state.cache_get(key)
            if hit is not None:
                return json.loads(hit)
        values = {k: round(float(v), 4) for k, v in self.measure(ref).items()}
        if key is not None:
            state.cache_put(key, json.dumps(values))
        return values

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected or not sample.images:
                continue
            per_image = []
            for index, ref in enumerate(sample.images):
                try:
                    per_image.append(self.cached_measure(ref))
                except Exception as exc:  # one bad image is one reject
                    sample.reject(self.name, "unreadable_image", f"image {index}: {exc}"[:300])
                    break
            else:
                for metric, higher_better in self.metric_kinds().items():
                    values = [m[metric] for m in per_image]
                    sample.scores[f"{self.name}_{metric}"] = self._combine(values, higher_better)
        return samples
