"""Render a sample's annotations as readable prompt text (LLaVA's symbolic representation)."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.ops.annotations.boxes import CONVENTIONS, BoxConvention
from mmrecipe.ops.annotations.context import (
    AnnotationError,
    box_header,
    image_size,
    render_boxes,
    render_captions,
    render_ocr,
    render_tags,
)
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

PARTS = ("captions", "boxes", "ocr", "tags", "sources", "regions", "relations")


@register_op("annotation_context")
class AnnotationContext(MapOp):
    """Write what is known about the image into one text field a prompt reads as ``{context}``:
    captions one per line, boxes as ``category: [x1, y1, x2, y2]`` under a line giving the
    image size and the coordinate convention, OCR text line by line, tags comma-separated, and
    named caption sources (``Caption from caption_a: ...``, CapsFusion's inputs). Parts a
    sample lacks are left out; a part named in ``require`` that is missing or empty rejects
    the sample (``missing_annotation``), a malformed one too (``bad_annotation``).

    Args:
        captions_field: field with a caption or a list of captions
        boxes_field: field with ``[{bbox: [x, y, w, h] in pixels, category}]`` (COCO reader)
        ocr_field: field with an OCR result (``ocr`` op), a list of strings or a string
        tags_field: field with tags (strings or ``{name, score}``)
        regions_field: field with described regions ``[{bbox, category: phrase}]`` (Visual
            Genome's region descriptions), rendered like boxes under their own heading
        relations_field: field with relationships as lines (``"man | wearing | hat"``)
        sources: fields each holding one caption from a different source, rendered by name
        box_convention: llava (0-1, 3 decimals), pixels (x1,y1,x2,y2), coco (x,y,w,h), qwenvl (0-999)
        max_boxes: render at most this many boxes (None: all)
        ocr_min_conf: leave out OCR lines below this confidence (0-100)
        require: parts that must be present: captions, boxes, ocr, tags, sources
        headings: put a heading above each part (``Captions:``, ``Text in the image (OCR):``)
        output_field: where the text goes
    """

    reads = ("images",)
    writes = ("fields.context",)

    def __init__(
        self,
        captions_field: str = "captions",
        boxes_field: str = "boxes",
        ocr_field: str = "ocr",
        tags_field: str = "tags",
        regions_field: str = "regions",
        relations_field: str = "relations",
        sources: list[str] | None = None,
        box_convention: BoxConvention = "llava",
        max_boxes: int | None = None,
        ocr_min_conf: float = 0.0,
        require: list[str] | None = None,
        headings: bool = True,
        output_field: str = "context",
    ) -> None:
        if box_convention not in CONVENTIONS:
            raise ConfigError(f"annotation_context: box_convention must be one of {CONVENTIONS}")
        unknown = sorted(set(require or []) - set(PARTS))
        if unknown:
            raise ConfigError(
                f"annotation_context: require takes {', '.join(PARTS)}, got {unknown}"
            )
        self.fields = {
            "captions": captions_field,
            "boxes": boxes_field,
            "ocr": ocr_field,
            "tags": tags_field,
            "regions": regions_field,
            "relations": relations_field,
        }
        self.sources = list(sources or [])
        self.convention: BoxConvention = box_convention
        self.max_boxes = max_boxes
        self.ocr_min_conf = ocr_min_conf
        self.require = list(require or [])
        self.headings = headings
        self.output_field = output_field
        self.writes = (f"fields.{output_field}",)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            try:
                text, present = self.render(sample)
            except AnnotationError as exc:
                sample.reject(self.name, "bad_annotation", str(exc))
                continue
            missing = [p for p in self.require if p not in present]
            if missing:
                sample.reject(
                    self.name,
                    "missing_annotation",
                    "no " + ", ".join(self._source_name(p) for p in missing),
                )
                continue
            sample.fields[self.output_field] = text
        return samples

    def _source_name(self, part: str) -> str:
        if part == "sources":
            return "source caption in " + ", ".join(f"fields.{n}" for n in self.sources)
        return f"fields.{self.fields[part]}"

    def render(self, sample: Sample) -> tuple[str, set[str]]:
        """The context text and which parts it holds."""
        f = sample.fields
        blocks: list[tuple[str, list[str]]] = []
        present: set[str] = set()
        captions = render_captions(f.get(self.fields["captions"]))
        if captions:
            blocks.append(("Captions:", captions))
            present.add("captions")
        sources = [
            f"Caption from {name}: {render_captions(f[name])[0]}"
            for name in self.sources
            if render_captions(f.get(name))
        ]
        if sources and len(sources) == len(self.sources):
            blocks.append(("Captions from different sources:", sources))
            present.add("sources")
        if f.get(self.fields["boxes"]):
            width, height = image_size(sample.images)
            lines, _ = render_boxes(
                f[self.fields["boxes"]], width, height, self.convention, max_boxes=self.max_boxes
            )
            if lines:
                blocks.append((box_header(width, height, self.convention), lines))
                present.add("boxes")
        ocr = render_ocr(f.get(self.fields["ocr"]), min_conf=self.ocr_min_conf)
        if ocr:
            blocks.append(("Text in the image (OCR), line by line:", ocr))
            present.add("ocr")
        tags = render_tags(f.get(self.fields["tags"]))
        if tags:
            blocks.append(("Tags:", [tags]))
            present.add("tags")
        if f.get(self.fields["regions"]):
            width, height = image_size(sample.images)
            lines, _ = render_boxes(
                f[self.fields["regions"]], width, height, self.convention, max_boxes=self.max_boxes
            )
            if lines:
                blocks.append(("Region descriptions (same boxes):", lines))
                present.add("regions")
        relations = render_captions(f.get(self.fields["relations"]))
        if relations:
            blocks.append(("Relationships (subject | predicate | object):", relations))
            present.add("relations")
        if not self.headings:
            return "\n".join(line for _, lines in blocks for line in lines), present
        return "\n\n".join("\n".join([h, *lines]) for h, lines in blocks), present
