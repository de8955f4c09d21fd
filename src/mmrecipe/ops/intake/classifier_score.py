"""A label's probability from an image classifier backend: NSFW (the web-image filters'
usual safety pass), or a watermark classifier you trust. The op stores the probability;
``score_gate`` decides."""

from __future__ import annotations

from typing import Any

from mmrecipe.backends.experts.base import require_expert
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.intake.image_scores import ImageScorer
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef


@register_op("classifier_score")
class ClassifierScore(ImageScorer):
    """``scores.<step>_<label>``: the probability the ``backend`` (``type: tagger``) gives
    ``label``, the highest over a sample's images. The backend is either an image classifier
    with that class (e.g. ``Falconsai/nsfw_image_detection``, a ViT fine-tuned for classes
    ``normal`` / ``nsfw``, softmax) or a CLIP/SigLIP model zero-shot over ``tags:`` that
    include it. Which model decides is the recipe's choice: nothing is downloaded, the model
    must be in the local cache or a folder. Gate with ``score_gate`` ``maximums``. Rejects:
    ``unreadable_image``.

    Args:
        backend: a ``type: tagger`` backend
        label: the class whose probability is stored (one of the backend's tags)
    """

    def __init__(self, backend: str, label: str = "nsfw") -> None:
        if not label.strip():
            raise ConfigError("classifier_score: label must be a class name")
        self.backend_name = backend
        self.label = label
        self.metric = label.strip().lower().replace(" ", "_")
        self.backend: Any = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.backend = ctx.backend(self.backend_name)
        require_expert(self.backend, "tagging", self.name)
        tags = getattr(self.backend, "tags", None) or []
        if self.label not in tags:
            raise ConfigError(
                f"{self.name}: backend {self.backend_name!r} has no class {self.label!r} "
                f"(it has: {', '.join(tags[:20])})"
            )

    def metric_kinds(self) -> dict[str, bool]:
        return {self.metric: False}

    def settings(self) -> dict[str, Any]:
        return {"model": getattr(self.backend, "model", None), "label": self.label}

    def measure(self, ref: ImageRef) -> dict[str, float]:
        image = self.backend.open_image(ref)
        tags = self.backend.tag([image], top_k=len(self.backend.tags), threshold=0.0)[0]
        prob = next((t["score"] for t in tags if t["tag"] == self.label), 0.0)
        return {self.metric: float(prob)}
