"""All-Seeing's region-level QA from region experts' outputs: each region with a caption or
tags becomes grounded turns ("what is in [box]?" / "where is the X?"), boxes on a 0-1000 grid."""

from __future__ import annotations

from typing import Literal

from mmrecipe.experts.geometry import normalized_box
from mmrecipe.experts.opsupport import regions_of
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.experts.consensus import item_label
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("region_qa")
class RegionQa(MapOp):
    """Appends user/assistant turns about regions to ``sample.messages`` (the image placeholder
    on the first new user turn when the conversation has none yet), and writes
    ``fields.<output_field>`` (the same turns as dicts with their region) and
    ``fields.regions_text`` (one line per region: box, label, tags, caption; for an LLM that
    writes richer region QA, as All-Seeing's LLM step does). Samples with no usable region are
    rejected (``no_regions``).

    Args:
        regions_field: regions (dicts with box, caption and/or tags, label)
        caption_key: the region key holding its caption
        tags_key: the region key holding its tags
        questions: describe (box -> caption), locate (label/tag -> box), or both
        max_regions: at most this many regions per image (largest first)
        box_scale: box coordinates on a 0..box_scale grid (Qwen-VL and All-Seeing v2: 1000)
        output_field: where the region QA pairs go
    """

    reads = ("images",)

    def __init__(
        self,
        regions_field: str = "regions",
        caption_key: str = "caption",
        tags_key: str = "tags",
        questions: Literal["describe", "locate", "both"] = "both",
        max_regions: int = 8,
        box_scale: int = 1000,
        output_field: str = "region_qa",
    ) -> None:
        self.regions_field = regions_field
        self.caption_key = caption_key
        self.tags_key = tags_key
        self.questions = questions
        self.max_regions = max_regions
        self.box_scale = box_scale
        self.output_field = output_field
        self.reads = ("images", f"fields.{regions_field}")
        self.writes = ("messages", f"fields.{output_field}", "fields.regions_text")

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            ref = sample.images[0] if sample.images else None
            width, height = (ref.width or 0, ref.height or 0) if ref else (0, 0)
            if not (width and height) and ref is not None:
                try:
                    from PIL import Image

                    with Image.open(ref.path) as im:
                        width, height = im.size
                except Exception:
                    width = height = 0
            regions = regions_of(sample, self.regions_field)
            regions.sort(
                key=lambda r: (
                    -(r.get("area") or (r["box"][2] - r["box"][0]) * (r["box"][3] - r["box"][1]))
                )
            )
            pairs = []
            lines = []
            for region in regions[: self.max_regions]:
                if not (width and height):
                    break
                box = normalized_box(region["box"], width, height, self.box_scale)
                caption = str(region.get(self.caption_key) or "").strip()
                tags = region.get(self.tags_key) or []
                name = str(region.get("label") or (item_label(tags[0]) if tags else "")).strip()
                tag_text = ", ".join(item_label(t) for t in tags)
                lines.append(
                    f"{box}: {name or 'region'}"
                    + (f"; tags: {tag_text}" if tag_text else "")
                    + (f"; caption: {caption}" if caption else "")
                )
                if self.questions in ("describe", "both") and (caption or name):
                    answer = caption or name
                    pairs.append(
                        {"question": f"What is in the region {box}?", "answer": answer, "box": box}
                    )
                if self.questions in ("locate", "both") and name:
                    pairs.append(
                        {
                            "question": f"Where is the {name}? Answer with a box.",
                            "answer": str(box),
                            "box": box,
                        }
                    )
            if not pairs:
                sample.reject(self.name, "no_regions", "no region with a caption, label or tag")
                continue
            has_image = any("<image>" in str(m.get("content", "")) for m in sample.messages)
            for i, pair in enumerate(pairs):
                question = pair["question"]
                if i == 0 and not has_image and sample.images:
                    question = "<image>\n" + question
                sample.messages.append({"role": "user", "content": question})
                sample.messages.append({"role": "assistant", "content": pair["answer"]})
            sample.fields[self.output_field] = pairs
            sample.fields["regions_text"] = "\n".join(lines)
        return samples
