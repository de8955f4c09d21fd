"""ShareGPT as LLaMA-Factory reads it (``src/llamafactory/data/converter.py``,
``SharegptDatasetConverter``): ``{"messages": [{"role", "content"}], "images": [...],
"system": "..."}``.

The writer keeps what that converter and the multimodal plugin check: user/assistant turns
alternating from a user turn and ending with an answer (an odd count is "abnormal" and
skipped there), exactly one ``<image>`` per entry of ``images`` (``_validate_messages``), the
system prompt in its own ``system`` column (always a string: ``""`` when there is none, one JSON
type per column), image paths relative to the run dir (``media_dir``). Samples with images in
assistant turns are left out (``assistant_image``) or moved (``assistant_images: move_to_user``):
LLaMA-Factory would train on image tokens as labels. Videos go in a ``videos`` column (paths
relative to the run dir) with one ``<video>`` each in user turns (``mm_plugin.py``), only on rows
that have videos (the run's dataset_info.json names the column when the data holds one). The dataset_info.json entry that goes with
it is written by every run (``trainers/``).

MS-Swift reads the same layout; its grounding records add ``objects: {ref, bbox, bbox_type}``
(boxes ``[x1, y1, x2, y2]``; ``<ref-object>``/``<bbox>`` in the text are filled at training
time). The source's other extra keys go into one JSON text column, ``source_fields`` (README,
"formats"). The reader keeps ``objects``; the writer writes it back in one fixed shape,
``{ref, bbox, bbox_type, image_id}`` (``bbox_type`` defaults to ``real`` and ``image_id`` to 0
per box, MS-Swift's own defaults; pixel coordinates as floats), so a dataset whose shards
differ in the keys they give (``{ref, bbox}`` here, all four there) still loads as one table
in HF ``datasets``; an ``objects`` of another shape is a plain source key. For pixel boxes
(``bbox_type`` real), also gives them as ``fields.boxes`` (COCO's ``[x, y, w, h]``); the writer
with ``objects: true`` writes ``fields.boxes`` of other sources as ``objects`` (an empty one on
rows without boxes, so the column keeps one type).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mmrecipe.io.base import JsonRecordReader
from mmrecipe.io.conversation import LLAVA_TO_ROLE
from mmrecipe.io.layout import SOURCE_COLUMN, content_text, merge_image_only_turns, prepare
from mmrecipe.io.llava import image_list, source_fields
from mmrecipe.io.paths import image_ref
from mmrecipe.io.video_layout import place_videos, video_list, video_refs
from mmrecipe.io.writing import JsonLinesOut
from mmrecipe.sample import Sample

_OWN_KEYS = ("id", "messages", "conversations", "images", "image", "system", "videos", "video")


class ShareGPTReader(JsonRecordReader):
    format_name = "sharegpt"

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        raw = record.get("messages")
        if raw is None:
            raw = record.get("conversations")
        if not isinstance(raw, list):
            raise ValueError("no 'messages' list")
        messages = []
        system = record.get("system")
        if isinstance(system, str) and system:
            messages.append({"role": "system", "content": system})
        for m in raw:
            if not isinstance(m, dict):
                raise ValueError(f"message is {type(m).__name__}, not an object")
            role = m.get("role") or LLAVA_TO_ROLE.get(str(m.get("from")))
            if role is None:
                raise ValueError(f"message without a known role: {str(m)[:200]}")
            role = LLAVA_TO_ROLE.get(role, role)
            content = m["content"] if "content" in m else m.get("value")
            messages.append({"role": role, "content": content_text(content)})
        paths = image_list(record.get("images", record.get("image")))
        fields = source_fields(record, _OWN_KEYS)
        boxes = swift_boxes(record.get("objects"))
        if boxes:
            fields.setdefault("boxes", boxes)
        return Sample(
            id=self.record_id(index, record),
            images=[image_ref(p, self.image_root) for p in paths],
            messages=merge_image_only_turns(messages),
            fields=fields,
            videos=video_refs(
                video_list(record.get("videos", record.get("video"))), self.image_root
            ),
        )


def swift_boxes(objects: Any) -> list[dict[str, Any]]:
    """MS-Swift ``objects`` with pixel boxes as ``fields.boxes`` (``[x, y, w, h]``)."""
    if not isinstance(objects, dict) or objects.get("bbox_type", "real") != "real":
        return []
    refs = objects.get("ref") or []
    boxes = []
    for i, box in enumerate(objects.get("bbox") or []):
        if not isinstance(box, list) or len(box) != 4:
            return []
        x1, y1, x2, y2 = (float(v) for v in box)
        name = refs[i] if i < len(refs) and isinstance(refs[i], str) else "object"
        boxes.append({"bbox": [x1, y1, x2 - x1, y2 - y1], "category": name})
    return boxes


def swift_objects(boxes: list[dict[str, Any]]) -> dict[str, Any]:
    """``fields.boxes`` as MS-Swift ``objects`` (pixel ``[x1, y1, x2, y2]``)."""
    refs, out = [], []
    for box in boxes:
        x, y, w, h = (float(v) for v in box["bbox"])
        refs.append(str(box.get("category", "object")))
        out.append([x, y, x + w, y + h])
    return {"ref": refs, "bbox": out, "bbox_type": "real", "image_id": [0] * len(out)}


def fixed_objects(objects: Any) -> dict[str, Any] | None:
    """MS-Swift ``objects`` in one shape (all four keys), or None when it is not that."""
    if not isinstance(objects, dict) or not isinstance(objects.get("bbox"), list):
        return None
    bbox_type = objects.get("bbox_type", "real")
    boxes = objects["bbox"]
    refs = objects.get("ref", [])
    image_id = objects.get("image_id", [0] * len(boxes))
    if not (
        isinstance(bbox_type, str)
        and isinstance(refs, list)
        and all(isinstance(r, str) for r in refs)
        and isinstance(image_id, list)
        and all(isinstance(i, int) and not isinstance(i, bool) for i in image_id)
        and all(
            isinstance(b, list)
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in b)
            for b in boxes
        )
    ):
        return None
    if bbox_type == "real":
        boxes = [[float(v) for v in b] for b in boxes]
    return {"ref": refs, "bbox": boxes, "bbox_type": bbox_type, "image_id": image_id}


class ShareGPTWriter(JsonLinesOut):
    """LLaMA-Factory / MS-Swift ShareGPT JSONL (see the module docstring)."""

    source_column = True

    def extra_fields(self, sample: Sample) -> dict[str, Any]:
        out = super().extra_fields(sample)
        fixed = fixed_objects(sample.fields.get("objects"))
        if fixed is not None:  # MS-Swift's own column, not a source key packed as text
            packed = json.loads(out[SOURCE_COLUMN])
            packed.pop("objects", None)
            out[SOURCE_COLUMN] = json.dumps(packed, ensure_ascii=False, sort_keys=True)
            out["objects"] = fixed
        return out

    OPTIONS: ClassVar[dict[str, Any]] = {"objects": False}
    takes_videos = True

    def record(self, sample: Sample) -> dict[str, Any]:
        conv = prepare(sample, self.assistant_images)
        out: dict[str, Any] = {
            "id": sample.id,
            "messages": conv.messages,
            "images": [self.image_path(i) for i in conv.images],
            "system": conv.system,
        }
        if sample.videos:  # LLaMA-Factory's ``videos`` column, one <video> each
            out["messages"] = place_videos(conv.messages, len(sample.videos))
            out["videos"] = [self.video_path(v) for v in sample.videos]
        out.update(self.extra_fields(sample))
        if self.options["objects"] and not isinstance(out.get("objects"), dict):
            out["objects"] = swift_objects(list(sample.fields.get("boxes") or []))
        return out
