"""Caption, describe or read (OCR) images, or each region's crop, with an image-to-text expert
(BLIP, BLIP-2, Florence-2, TrOCR)."""

from __future__ import annotations

from typing import Any, Literal

from mmrecipe.ops.experts.base import ExpertMapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("image_to_text")
class ImageToText(ExpertMapOp):
    """Stores one text per image in a field (or per region with ``regions_field``: All-Seeing's
    region captions). An empty answer is kept as "" unless ``reject_empty``.

    Args:
        backend: a ``type: image_to_text`` backend with the task's capability
        task: caption, detailed_caption or ocr
        output_field: where the text goes (a key of each region with regions_field)
        regions_field: a field of regions (dicts with a box) to describe one by one
        reject_empty: reject samples whose answer is empty (``empty_output``)
        image_index: which of the sample's images to look at
    """

    region_default = ""

    def __init__(
        self,
        backend: str,
        task: Literal["caption", "detailed_caption", "ocr"] = "caption",
        output_field: str = "caption",
        regions_field: str | None = None,
        reject_empty: bool = False,
        image_index: int = 0,
    ) -> None:
        self.init_expert(backend, output_field, image_index, regions_field)
        self.task = task
        self.capability = task
        self.reject_empty = reject_empty

    def ask(self, images: list[Any], samples: list[Sample]) -> list[str]:
        return self.expert.describe(images, self.task)

    def check(self, answer: str) -> tuple[str, str] | None:
        if self.reject_empty and not answer:
            return "empty_output", f"the {self.task} model returned no text"
        return None
