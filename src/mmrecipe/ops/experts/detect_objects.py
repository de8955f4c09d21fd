"""Detect objects with a detector backend and store boxes (Image Textualization's and
All-Seeing's object facts, consensus inputs)."""

from __future__ import annotations

from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.ops.experts.base import ExpertMapOp
from mmrecipe.ops.experts.consensus import item_label
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("detect_objects")
class DetectObjects(ExpertMapOp):
    """Stores ``[{"label", "score", "box"}]`` in a field, best first; a box is x0, y0, x1, y1 in
    pixels of the image.

    An open-vocabulary detector (OWLv2, Grounding DINO) is prompted with ``labels``, or with
    the labels found in ``labels_field`` (e.g. tags, caption nouns or an earlier consensus:
    that is a refinement round), or with the backend's own ``labels``; a closed-set detector
    (DETR) keeps its classes, filtered to those labels when given.

    Args:
        backend: a ``type: detector`` backend (or Florence-2 as ``type: image_to_text``)
        labels: the vocabulary to look for
        labels_field: a field (or several: their union) holding labels per sample: strings,
            a comma-separated string, or dicts with label/tag
        threshold: minimum box score (None: the backend's)
        output_field: where the boxes go
        min_objects: reject samples with fewer boxes (``too_few_objects``); 0 keeps all
        image_index: which of the sample's images to look at
    """

    capability = "detection"

    def __init__(
        self,
        backend: str,
        labels: list[str] | None = None,
        labels_field: str | list[str] | None = None,
        threshold: float | None = None,
        output_field: str = "objects",
        min_objects: int = 0,
        image_index: int = 0,
    ) -> None:
        if labels and labels_field:
            raise ConfigError("detect_objects: give labels or labels_field, not both")
        fields = [labels_field] if isinstance(labels_field, str) else list(labels_field or [])
        self.init_expert(
            backend, output_field, image_index, reads=tuple(f"fields.{f}" for f in fields)
        )
        self.labels = list(labels or [])
        self.labels_fields = fields
        self.threshold = threshold
        self.min_objects = min_objects

    def ask(self, images: list[Any], samples: list[Sample]) -> list[Any]:
        vocab = None
        if self.labels_fields:
            vocab = [self._field_labels(s) for s in samples]
        elif self.labels:
            vocab = [self.labels] * len(images)
        return self.expert.detect(images, vocab, self.threshold)

    def check(self, answer: list[Any]) -> tuple[str, str] | None:
        if len(answer) < self.min_objects:
            return "too_few_objects", f"{len(answer)} < {self.min_objects}"
        return None

    def _field_labels(self, sample: Sample) -> list[str]:
        out: list[str] = []
        for field in self.labels_fields:
            value = sample.fields.get(field) or []
            if isinstance(value, str):
                value = value.split(",")
            if isinstance(value, list):
                out.extend(item_label(v).strip() for v in value)
        return list(dict.fromkeys(v for v in out if v))
