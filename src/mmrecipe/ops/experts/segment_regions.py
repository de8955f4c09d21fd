"""Segment regions with SAM: prompted by a detector's boxes, or a point grid ("everything")."""

from __future__ import annotations

from typing import Any

from mmrecipe.experts.opsupport import regions_of
from mmrecipe.ops.experts.base import ExpertMapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("segment_regions")
class SegmentRegions(ExpertMapOp):
    """Stores regions ``[{"box", "score", "area", "mask", ...}]`` in a field: ``mask`` is COCO
    uncompressed RLE (``pycocotools`` reads it), ``box`` the mask's tight box, ``score`` SAM's
    predicted IoU. Prompted by ``boxes_field`` (e.g. detections: their label is kept), else
    SAM's point grid (the backend's ``points_per_side``), as All-Seeing's region proposals.

    Args:
        backend: a ``type: segmenter`` backend
        boxes_field: a field of dicts with a box (and label) to prompt with; None: point grid
        output_field: where the regions go
        min_area: drop regions with fewer mask pixels
        max_regions: keep at most this many regions (largest score first)
        keep_masks: store the RLE masks (False: boxes, scores and areas only)
        min_regions: reject samples with fewer regions (``no_regions``); 0 keeps all
        image_index: which of the sample's images to segment
    """

    capability = "segmentation"

    def __init__(
        self,
        backend: str,
        boxes_field: str | None = None,
        output_field: str = "regions",
        min_area: int = 0,
        max_regions: int = 50,
        keep_masks: bool = True,
        min_regions: int = 0,
        image_index: int = 0,
    ) -> None:
        reads = (f"fields.{boxes_field}",) if boxes_field else ()
        self.init_expert(backend, output_field, image_index, reads=reads)
        self.boxes_field = boxes_field
        self.min_area = min_area
        self.max_regions = max_regions
        self.keep_masks = keep_masks
        self.min_regions = min_regions

    def ask(self, images: list[Any], samples: list[Sample]) -> list[list[dict[str, Any]]]:
        prompts = None
        if self.boxes_field:
            prompts = [regions_of(s, self.boxes_field) for s in samples]
        boxes = [[p["box"] for p in ps] for ps in prompts] if prompts is not None else None
        results = self.expert.segment(images, boxes)
        out = []
        for i, regions in enumerate(results):
            if prompts is not None:  # carry the prompting detection's label and score
                by_box = {tuple(round(float(v), 1) for v in p["box"]): p for p in prompts[i]}
                for region in regions:
                    source = by_box.get(tuple(region.get("prompt_box", ())))
                    if source is not None and "label" in source:
                        region["label"] = source["label"]
            kept = [r for r in regions if r["area"] >= self.min_area]
            kept.sort(key=lambda r: -r["score"])
            kept = kept[: self.max_regions]
            if not self.keep_masks:
                for r in kept:
                    r.pop("mask", None)
            out.append(kept)
        return out

    def check(self, answer: list[dict[str, Any]]) -> tuple[str, str] | None:
        if len(answer) < self.min_regions:
            return "no_regions", f"{len(answer)} region(s) < {self.min_regions}"
        return None
