"""Caption, describe or read (OCR) images, or each region's crop, with an image-to-text expert
(BLIP, BLIP-2, Florence-2, TrOCR)."""

from __future__ import annotations

from typing import Literal

from mmrecipe.context import OpContext
from mmrecipe.experts.opsupport import ExpertUser, crop, regions_of
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("image_to_text")
class ImageToText(ExpertUser, MapOp):
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

    def __init__(
        self,
        backend: str,
        task: Literal["caption", "detailed_caption", "ocr"] = "caption",
        output_field: str = "caption",
        regions_field: str | None = None,
        reject_empty: bool = False,
        image_index: int = 0,
    ) -> None:
        self.backend_name = backend
        self.task = task
        self.capability = task
        self.output_field = output_field
        self.regions_field = regions_field
        self.reject_empty = reject_empty
        self.image_index = image_index
        if regions_field:
            self.reads = ("images", f"fields.{regions_field}")
            self.writes = (f"fields.{regions_field}",)
        else:
            self.reads = ("images",)
            self.writes = (f"fields.{output_field}",)

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.setup_expert(ctx, self.name)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        opened = self.open_images(samples, self.name)
        if not opened:
            return samples
        if self.regions_field:
            jobs = []
            for sample, image in opened:
                for region in regions_of(sample, self.regions_field):
                    piece = crop(image, region["box"])
                    if piece is None:
                        region[self.output_field] = ""
                    else:
                        jobs.append((region, piece))
            texts = self.expert.describe([p for _, p in jobs], self.task) if jobs else []
            for (region, _), text in zip(jobs, texts, strict=True):
                region[self.output_field] = text
            return samples
        texts = self.expert.describe([im for _, im in opened], self.task)
        for (sample, _), text in zip(opened, texts, strict=True):
            sample.fields[self.output_field] = text
            if self.reject_empty and not text:
                sample.reject(self.name, "empty_output", f"the {self.task} model returned no text")
        return samples
