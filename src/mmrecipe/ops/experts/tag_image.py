"""Tag images (or each region's crop) with a tagger backend."""

from __future__ import annotations

from typing import Any, ClassVar

from mmrecipe.ops.experts.base import ExpertMapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("tag_image")
class TagImage(ExpertMapOp):
    """Stores ``[{"tag", "score"}]`` (best first) in a field; with ``regions_field``, tags each
    region's crop instead and stores them in the region (All-Seeing's region tags).

    Args:
        backend: a ``type: tagger`` backend
        top_k: at most this many tags (None: the backend's)
        threshold: minimum tag score (None: the backend's)
        output_field: where the tags go (a key of each region with regions_field)
        regions_field: a field of regions (dicts with a box) to tag one by one
        min_tags: reject samples with fewer tags (``no_tags``); 0 keeps all
        image_index: which of the sample's images to look at
    """

    capability = "tagging"
    region_default: ClassVar[list[Any]] = []

    def __init__(
        self,
        backend: str,
        top_k: int | None = None,
        threshold: float | None = None,
        output_field: str = "tags",
        regions_field: str | None = None,
        min_tags: int = 0,
        image_index: int = 0,
    ) -> None:
        self.init_expert(backend, output_field, image_index, regions_field)
        self.top_k = top_k
        self.threshold = threshold
        self.min_tags = min_tags

    def ask(self, images: list[Any], samples: list[Sample]) -> list[Any]:
        return self.expert.tag(images, self.top_k, self.threshold)

    def check(self, answer: list[Any]) -> tuple[str, str] | None:
        if len(answer) < self.min_tags:
            return "no_tags", f"{len(answer)} tag(s) < {self.min_tags}"
        return None
