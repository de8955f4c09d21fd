"""CoMM's object/scene consistency check: a detector finds the entities of every image of an
interleaved document; the images of one coherent document share entities (the same person,
dish or device across a tutorial's steps)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from mmrecipe.backends.inputs import RequestError
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.experts.labels import norm_label
from mmrecipe.experts.opsupport import ExpertUser, open_rgb
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.curation.interleaved import image_indices
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


def recurrence(entity_sets: list[set[str]]) -> tuple[float, float]:
    """(share of images sharing an entity with another image of the document, mean Jaccard
    similarity of consecutive images' entity sets)."""
    n = len(entity_sets)
    shared = sum(
        1
        for i, s in enumerate(entity_sets)
        if any(s & t for j, t in enumerate(entity_sets) if j != i)
    )
    pairs = [len(a & b) / len(a | b) if a | b else 0.0 for a, b in pairwise(entity_sets)]
    return shared / n, sum(pairs) / len(pairs)


@register_op("entity_consistency")
class EntityConsistency(ExpertUser, FilterOp):
    """Detects the entities of each image of a document (``backend``: a detector; closed-set
    like DETR/YOLO, or open-vocabulary with ``labels``) and stores
    ``scores.entity_recurrence`` (share of images that share at least one entity label with
    another image; the rule) and ``scores.entity_jaccard`` (mean Jaccard of consecutive images'
    entity sets), plus ``fields.entities`` (labels per image, reading order). Documents with
    fewer than two images are not scored and kept. Rejects: ``inconsistent_entities`` (below
    ``min_recurrence``), ``unreadable_image``.

    Args:
        backend: a ``type: detector`` backend
        labels: the vocabulary of an open-vocabulary detector (closed-set: a filter)
        min_score: detections below this confidence are not entities
        min_recurrence: keep documents where at least this share of images shares an entity
            with another (ours: a majority; the seed states no threshold)
    """

    capability = "detection"
    reads = ("images",)
    writes = ("scores.entity_recurrence", "scores.entity_jaccard", "fields.entities")

    def __init__(
        self,
        backend: str,
        labels: list[str] | None = None,
        min_score: float = 0.5,
        min_recurrence: float = 0.5,
    ) -> None:
        if not 0 <= min_recurrence <= 1:
            raise ConfigError("entity_consistency: min_recurrence must be in 0..1")
        self.backend_name = backend
        self.labels = list(labels or [])
        self.min_score = min_score
        self.min_recurrence = min_recurrence

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.setup_expert(ctx, self.name)

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            order = image_indices(sample)
            if sample.rejected or len(order) < 2:
                continue
            try:
                images = [open_rgb(sample.images[k]) for k in order]
            except RequestError as exc:
                sample.reject(self.name, "unreadable_image", str(exc))
                continue
            vocab: Any = [self.labels] * len(images) if self.labels else None
            found = self.expert.detect(images, vocab)
            sets = [
                {norm_label(d["label"]) for d in dets if d.get("score", 1.0) >= self.min_score}
                for dets in found
            ]
            share, jaccard = recurrence(sets)
            sample.fields["entities"] = [sorted(s) for s in sets]
            sample.scores["entity_recurrence"] = round(share, 4)
            sample.scores["entity_jaccard"] = round(jaccard, 4)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        value = sample.scores.get("entity_recurrence")
        if value is not None and value < self.min_recurrence:
            return (
                "inconsistent_entities",
                f"{value:.2f} of images share an entity with another < {self.min_recurrence}",
            )
        return None
