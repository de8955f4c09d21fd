"""Pick one object of an image and name it unambiguously (RefEdit's referring expressions)."""

from __future__ import annotations

from typing import Literal

from mmrecipe.experts.geometry import area, position
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


def coco_region(value: object) -> dict | None:
    """A region dict with ``box`` (x0, y0, x1, y1) and ``label``: as segment_regions and
    detect_objects store them, or COCO's ``{"bbox": [x, y, w, h], "category"}``."""
    if not isinstance(value, dict):
        return None
    box = value.get("box")
    if isinstance(box, list) and len(box) == 4:
        return value
    bbox = value.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4:
        try:
            x, y, w, h = (float(v) for v in bbox)
        except (TypeError, ValueError):
            return None
        out = {k: v for k, v in value.items() if k not in ("bbox", "category")}
        return {**out, "box": [x, y, x + w, y + h], "label": value.get("category", "object")}
    return None


@register_op("refer_object")
class ReferObject(MapOp):
    """Chooses one region (with a ``label``, ``box`` and ideally a SAM ``mask``) of
    ``fields.<regions_field>`` and stores it in ``fields.<output_field>`` with a referring
    expression: "the dog", or, when several regions share the label, "the dog on the left"
    (positions from the box; a region whose position is shared too is not chosen).
    ``fields.<expression_field>`` gets the expression for the instruction prompt.

    RefEdit (Pathiraja et al. 2025) takes RefCOCO's human expressions; on a dataset that has
    them, set ``expression_source`` to their field and this op only picks the region.

    Rejects: ``no_referable_object`` (no region big enough, or every candidate ambiguous).

    Args:
        regions_field: regions (segment_regions' output, detections, or COCO ``boxes``)
        output_field: where the chosen region goes
        expression_field: where its referring expression goes
        choose: "largest" region, or the one with the highest "score"
        min_area_fraction: ignore regions smaller than this fraction of the image
        max_area_fraction: ignore regions larger than this (a background is no object)
        expression_source: a field already holding the expression (skips making one)
    """

    def __init__(
        self,
        regions_field: str = "regions",
        output_field: str = "target",
        expression_field: str = "expression",
        choose: Literal["largest", "score"] = "largest",
        min_area_fraction: float = 0.01,
        max_area_fraction: float = 0.8,
        expression_source: str | None = None,
    ) -> None:
        self.regions_field = regions_field
        self.output_field = output_field
        self.expression_field = expression_field
        self.choose = choose
        self.min_area_fraction = min_area_fraction
        self.max_area_fraction = max_area_fraction
        self.expression_source = expression_source
        reads = ["images", f"fields.{regions_field}"]
        if expression_source:
            reads.append(f"fields.{expression_source}")
        self.reads = tuple(reads)
        self.writes = (f"fields.{output_field}", f"fields.{expression_field}")

    def _pick(self, sample: Sample) -> tuple[dict, str] | None:
        ref = sample.images[0] if sample.images else None
        width, height = (ref.width or 0, ref.height or 0) if ref else (0, 0)
        regions = [coco_region(r) for r in sample.fields.get(self.regions_field) or []]
        regions = [r for r in regions if r is not None]
        total = float(width * height) if width and height else None
        candidates = []
        for region in regions:
            a = float(region.get("area") or area(region["box"]))
            if total and not (self.min_area_fraction <= a / total <= self.max_area_fraction):
                continue
            candidates.append((region, a))
        key = (
            (lambda c: -c[1])
            if self.choose == "largest"
            else (lambda c: -float(c[0].get("score", 0)))
        )
        candidates.sort(key=key)
        for region, _ in candidates:
            label = str(region.get("label") or "object")
            if self.expression_source:
                expression = sample.fields.get(self.expression_source)
                if isinstance(expression, str) and expression.strip():
                    return region, expression.strip()
                return None
            same = [r for r in regions if str(r.get("label") or "object") == label]
            if len(same) == 1:
                return region, f"the {label}"
            if not (width and height):
                continue
            where = position(region["box"], width, height)
            if sum(position(r["box"], width, height) == where for r in same) == 1:
                return region, f"the {label} {'in the' if where == 'center' else 'on the'} {where}"
        return None

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            picked = self._pick(sample)
            if picked is None:
                sample.reject(
                    self.name,
                    "no_referable_object",
                    "no region of usable size that one phrase names",
                )
                continue
            region, expression = picked
            sample.fields[self.output_field] = region
            sample.fields[self.expression_field] = expression
        return samples
