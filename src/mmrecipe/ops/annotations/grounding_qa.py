"""Grounding and referring turns from instance boxes, exact, with no model (Qwen-VL)."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from mmrecipe.errors import ConfigError
from mmrecipe.ops.annotations.boxes import BoxError, absolute_box, format_box, smart_resize
from mmrecipe.ops.annotations.context import AnnotationError, clean, image_size
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

GROUNDING_ONE = ["Where is the {category} in the image?", "Find the {category}.",
                 "Locate the {category} in this picture."]  # fmt: skip
GROUNDING_MANY = ["Where are all the instances of {category} in the image?",
                  "Find every {category}.", "Locate each {category} in this picture."]  # fmt: skip
REFERRING = ["What is in {box}?", "What object is at {box}?", "Name the object in {box}."]


@register_op("grounding_qa")
class GroundingQa(MapOp):
    """Turn instance boxes into grounding turns ("Where is the dog?" → its box) and referring
    turns ("What is in <box>?" → "dog"), one conversation per image, ``<image>`` in the first
    user turn. No model: every coordinate is computed exactly from the annotation.

    Formats: ``qwenvl`` (Qwen-VL: ``<ref>dog</ref><box>(x1,y1),(x2,y2)</box>``, coordinates
    ``floor(v / size * 1000)`` in [0, 1000)); ``qwen25vl`` (Qwen2.5-VL: absolute pixels as
    JSON, ``[{"bbox_2d": [x1, y1, x2, y2], "label": "dog"}]`` in a fence, in pixels of the
    image as its processor resizes it (``smart_resize``) or of the original (``resize: none``)).
    A category with several instances gets one grounding turn listing all its boxes
    (``several: all``) or none (``several: skip``: a question with several right answers);
    referring turns are per instance. Boxes without area or outside the image are skipped; a
    sample left with none is rejected (``no_boxes``). The boxes used are kept in
    ``fields.grounding``.

    Args:
        boxes_field: field with ``[{bbox: [x, y, w, h] in pixels, category}]`` (COCO reader)
        format: qwenvl (0-999 text boxes) or qwen25vl (absolute-pixel JSON)
        tasks: which turns to make: grounding, referring
        several: categories with several instances: all (every box) or skip
        resize: qwen25vl only: smart (the processor's resize) or none (original pixels)
        min_pixels: smart_resize's lower bound (Qwen2.5-VL: 3136)
        max_pixels: smart_resize's upper bound (Qwen2.5-VL: 12845056)
        max_turns: at most this many QA pairs per image (None: all)
        seed: changes which question wording each turn draws
    """

    reads = ("images", "fields.boxes")
    writes = ("messages", "fields.grounding")

    def __init__(
        self,
        boxes_field: str = "boxes",
        format: Literal["qwenvl", "qwen25vl"] = "qwenvl",
        tasks: list[Literal["grounding", "referring"]] | None = None,
        several: Literal["all", "skip"] = "all",
        resize: Literal["smart", "none"] = "smart",
        min_pixels: int = 56 * 56,
        max_pixels: int = 28 * 28 * 16384,
        max_turns: int | None = None,
        seed: int = 0,
    ) -> None:
        self.tasks = list(tasks or ["grounding", "referring"])
        if not self.tasks or not set(self.tasks) <= {"grounding", "referring"}:
            raise ConfigError("grounding_qa: tasks is a non-empty list of grounding, referring")
        if max_turns is not None and max_turns < 1:
            raise ConfigError("grounding_qa: max_turns must be >= 1")
        if format != "qwen25vl" and (
            resize != "smart" or min_pixels != 56 * 56 or max_pixels != 28 * 28 * 16384
        ):
            # Qwen-VL boxes are scaled to [0, 1000) of the image, whatever its size: these
            # settings would change nothing, so they are refused rather than ignored
            raise ConfigError(
                "grounding_qa: resize, min_pixels and max_pixels apply to format: qwen25vl "
                "(absolute pixels) only"
            )
        self.boxes_field = boxes_field
        self.format = format
        self.several = several
        self.resize = resize
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.max_turns = max_turns
        self.seed = seed
        self.reads = ("images", f"fields.{boxes_field}")

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            boxes = sample.fields.get(self.boxes_field)
            if not isinstance(boxes, list) or not boxes:
                sample.reject(self.name, "no_boxes", f"fields.{self.boxes_field} is empty")
                continue
            try:
                width, height = image_size(sample.images)
            except AnnotationError as exc:
                sample.reject(self.name, "no_image_size", str(exc))
                continue
            placed = self._place(boxes, width, height)
            if not placed:
                sample.reject(self.name, "no_boxes", "no box with area inside the image")
                continue
            pairs = self._pairs(sample.id, placed)
            if not pairs:
                sample.reject(self.name, "no_boxes", "every category has several instances")
                continue
            sample.fields["grounding"] = [
                {"category": cat, "bbox": bbox, "box": text} for cat, bbox, text in placed
            ]
            sample.messages = []
            for index, (question, answer) in enumerate(pairs):
                if index == 0:
                    question = "<image>" * len(sample.images) + "\n" + question
                sample.messages.append({"role": "user", "content": question})
                sample.messages.append({"role": "assistant", "content": answer})
        return samples

    def _place(self, boxes: list, width: int, height: int) -> list[tuple[str, list, str]]:
        """(category, source bbox, box as text) of every usable box, in annotation order."""
        target = None
        if self.format == "qwen25vl" and self.resize == "smart":
            target = smart_resize(width, height, 28, self.min_pixels, self.max_pixels)
        out = []
        for box in boxes:
            if not isinstance(box, dict) or "bbox" not in box or box.get("iscrowd"):
                continue  # a crowd region is no single instance to ground
            category = clean(box.get("category") or "")
            if not category:
                continue
            try:
                if self.format == "qwenvl":
                    text = format_box(box["bbox"], width, height, "qwenvl")
                else:
                    text = json.dumps(absolute_box(box["bbox"], width, height, target))
            except BoxError:
                continue
            out.append((category, box["bbox"], text))
        return out

    def _pairs(self, sample_id: str, placed: list[tuple[str, list, str]]) -> list[tuple[str, str]]:
        by_category: dict[str, list[str]] = {}
        for category, _, text in placed:
            by_category.setdefault(category, []).append(text)
        pairs: list[tuple[str, str]] = []
        if "grounding" in self.tasks:
            for category, texts in by_category.items():
                if len(texts) > 1 and self.several == "skip":
                    continue
                pool = GROUNDING_MANY if len(texts) > 1 else GROUNDING_ONE
                question = self._draw(pool, sample_id, "g", category).format(category=category)
                pairs.append((self._question(question, category), self._locate(category, texts)))
        if "referring" in self.tasks:
            for index, (category, _, text) in enumerate(placed):
                box = self._box_ref(text)
                question = self._draw(REFERRING, sample_id, "r", str(index)).format(box=box)
                pairs.append((question, category))
        return pairs[: self.max_turns] if self.max_turns else pairs

    def _question(self, question: str, category: str) -> str:
        if self.format == "qwen25vl":
            return question + " Output its bbox coordinates in JSON format."
        return question.replace(category, f"<ref>{category}</ref>", 1)

    def _locate(self, category: str, texts: list[str]) -> str:
        if self.format == "qwenvl":
            return f"<ref>{category}</ref>" + "".join(f"<box>{t}</box>" for t in texts)
        items = [{"bbox_2d": json.loads(t), "label": category} for t in texts]
        return "```json\n" + json.dumps(items) + "\n```"

    def _box_ref(self, text: str) -> str:
        return f"<box>{text}</box>" if self.format == "qwenvl" else f"the box {text}"

    def _draw(self, pool: list[str], *key: str) -> str:
        digest = hashlib.sha256("\x1f".join((str(self.seed), *key)).encode()).digest()
        return pool[int.from_bytes(digest[:8], "big") % len(pool)]
