"""ShareGPT-4o-Image's prompt-first pipeline, step 1: sample a point of an attribute space
(the seed: "6-dimensional attribute space (Objects, Background, Style, Camera Angle, etc.)");
an LLM then composes the natural-language prompt from it (a ``vlm_generate`` step)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import SourceOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample, stable_id

#: the seed names four of the six dimensions (objects, background, style, camera angle); the
#: other two (lighting, colour palette) and every value are ours
DEFAULT_DIMENSIONS: dict[str, dict[str, float]] = {
    "objects": dict.fromkeys(
        [
            "a red vintage bicycle",
            "a sleeping tabby cat",
            "a steaming cup of coffee",
            "an old lighthouse",
            "a bowl of ripe oranges",
            "a child flying a kite",
            "a wooden sailboat",
            "a stack of leather-bound books",
            "a glass chess set",
            "a street food stall",
        ],
        1.0,
    ),
    "background": dict.fromkeys(
        [
            "a misty pine forest",
            "a busy city street at dusk",
            "a sunlit kitchen",
            "a snowy mountain pass",
            "a plain studio backdrop",
            "a sandy beach",
            "a rainy train platform",
            "a library reading room",
        ],
        1.0,
    ),
    "style": dict.fromkeys(
        [
            "photorealistic",
            "watercolor painting",
            "flat vector illustration",
            "oil painting",
            "3D render",
            "pencil sketch",
            "anime",
            "film photograph",
        ],
        1.0,
    ),
    "camera_angle": dict.fromkeys(
        ["eye level", "low angle", "bird's-eye view", "close-up", "wide shot", "over-the-shoulder"],
        1.0,
    ),
    "lighting": dict.fromkeys(
        [
            "golden hour",
            "overcast soft light",
            "neon night lighting",
            "hard noon sun",
            "candlelight",
        ],
        1.0,
    ),
    "color_palette": dict.fromkeys(
        [
            "warm earth tones",
            "pastel",
            "monochrome",
            "vivid complementary colours",
            "muted blues and greys",
        ],
        1.0,
    ),
}


def _weights(name: str, spec: Any) -> dict[str, float]:
    values = dict.fromkeys(spec, 1.0) if isinstance(spec, list) else spec
    if not isinstance(values, dict) or not values:
        raise ConfigError(
            f"attribute_prompts: dimension {name!r} needs values (a list or value: weight)"
        )
    if not all(isinstance(v, str) and v.strip() for v in values) or not all(
        isinstance(w, int | float) and not isinstance(w, bool) and w >= 0 for w in values.values()
    ):
        raise ConfigError(f"attribute_prompts: {name!r}: values are strings, weights numbers >= 0")
    if sum(values.values()) <= 0:
        raise ConfigError(f"attribute_prompts: {name!r}: weights sum to 0")
    return {str(k): float(w) for k, w in values.items()}


@register_op("attribute_prompts")
class AttributePrompts(SourceOp):
    """``num_samples`` samples, each with one value drawn per dimension (by the values'
    weights: the ratios are the setting) in ``fields.attributes`` and as text lines in
    ``fields.attributes_text`` (``style: watercolor painting``), for an LLM step to compose
    a prompt from. Sample ``i`` depends only on the seed and ``i``.

    Args:
        num_samples: how many attribute points
        dimensions: dimension -> values (a list: equal shares; a map: value -> weight);
            default: six dimensions, the seed's four named ones and two of ours
        include: dimension -> probability that it is part of a point (default 1 each)
        seed: changes every draw
    """

    reads = ()
    writes = ("fields.attributes", "fields.attributes_text")

    def __init__(
        self,
        num_samples: int = 1000,
        dimensions: dict[str, Any] | None = None,
        include: dict[str, float] | None = None,
        seed: int = 0,
    ) -> None:
        if num_samples < 0:
            raise ConfigError("attribute_prompts: num_samples must be >= 0")
        spec = dimensions if dimensions is not None else DEFAULT_DIMENSIONS
        if not spec:
            raise ConfigError("attribute_prompts: dimensions is empty")
        self.dimensions = {name: _weights(name, values) for name, values in spec.items()}
        self.include = {name: 1.0 for name in self.dimensions} | dict(include or {})
        unknown = sorted(set(self.include) - set(self.dimensions))
        if unknown or not all(0 <= p <= 1 for p in self.include.values()):
            raise ConfigError(f"attribute_prompts: include takes dimensions with 0..1 ({unknown})")
        self.num_samples = num_samples
        self.seed = seed

    def count(self) -> int:
        return self.num_samples

    def _rng(self, index: int) -> np.random.Generator:
        digest = hashlib.sha256(f"attribute_prompts\x1f{self.seed}\x1f{index}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "big"))

    def generate(self, start: int, stop: int) -> list[Sample]:
        out = []
        for index in range(start, min(stop, self.num_samples)):
            rng = self._rng(index)
            point: dict[str, str] = {}
            for name, values in self.dimensions.items():
                keep = rng.random() < self.include[name]
                names, weights = list(values), np.array(list(values.values()))
                choice = names[int(rng.choice(len(names), p=weights / weights.sum()))]
                if keep:
                    point[name] = choice
            text = "\n".join(f"{k.replace('_', ' ')}: {v}" for k, v in point.items())
            out.append(
                Sample(
                    id=stable_id("attribute_prompts", str(self.seed), str(index)),
                    fields={"attributes": point, "attributes_text": text},
                )
            )
        return out
