"""LLaVA layouts: ``{"id", "image", "conversations": [{"from": "human"|"gpt", "value"}]}``.

* ``llava`` writes what LLaVA-1.5's ``LazySupervisedDataset`` (haotian-liu/LLaVA
  ``llava/train/train.py``) loads: ONE JSON array (``json.load``), ``image`` a string joined to
  ``--image_folder`` (the run dir), at most one image, ``<image>`` in the first human turn only,
  human/gpt alternating from a human turn, no system turn (folded into the first human turn, or
  dropped and counted with ``options.llava.system: drop``). Multi-image samples are left out
  (``multi_image``): ``llava_onevision`` holds them.
* ``llava_onevision`` writes JSONL that LLaVA-NeXT / OneVision (listed in its data YAML) and
  InternVL (its meta JSON's ``annotation``) read: ``image`` always a list (one JSON type per
  field), one ``<image>`` per image, in human turns. A video sample is written as LLaVA-NeXT's
  video record (``video``: one path, ``<image>`` marking it; see ``video_layout``); several
  videos, or a video with images, are left out (``multi_video``, ``video_with_images``).

The reader takes either, as a JSON array or JSONL; unknown top-level keys (OneVision's
``data_source``) are kept in ``fields`` and written back.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mmrecipe.io.base import IMAGE_TOKEN, JsonRecordReader
from mmrecipe.io.conversation import ROLE_TO_LLAVA, from_llava
from mmrecipe.io.layout import (
    SOURCE_COLUMN,
    Conversation,
    LeftOut,
    join_pieces,
    prepare,
    split_pieces,
)
from mmrecipe.io.paths import image_ref
from mmrecipe.io.video_layout import VIDEO_TOKEN, place_videos, video_list, video_refs
from mmrecipe.io.writing import FormatWriter, JsonArrayOut, JsonLinesOut
from mmrecipe.sample import Sample

_OWN_KEYS = ("id", "image", "images", "conversations", "video", "videos")


def source_fields(record: dict[str, Any], own: tuple[str, ...]) -> dict[str, Any]:
    """A record's other keys, kept in ``fields`` with their names in ``source_keys`` (those
    a ShareGPT/hf_messages writer put in its ``source_fields`` JSON text come back too)."""
    extra = {k: v for k, v in record.items() if k not in own and k != SOURCE_COLUMN}
    packed = record.get(SOURCE_COLUMN)
    if isinstance(packed, str):
        unpacked = json.loads(packed)
        if not isinstance(unpacked, dict):
            raise ValueError(f"'{SOURCE_COLUMN}' is not a JSON object")
        extra = {**unpacked, **extra}
    if extra:
        extra["source_keys"] = sorted(extra)
    return extra


def image_list(value: Any) -> list[str]:
    """``image``/``images`` as a list of paths (absent, empty string or null: none)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"image is {type(value).__name__}, not a path or a list of paths")


class LlavaReader(JsonRecordReader):
    format_name = "llava"

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        conversations = record.get("conversations")
        if conversations is None:  # images with other keys (alt text, ...) to build on
            conversations = []
        if not isinstance(conversations, list):
            raise ValueError("'conversations' is not a list")
        paths = image_list(record.get("image", record.get("images")))
        videos = video_list(record.get("video", record.get("videos")))
        messages = from_llava(conversations)
        if videos and not paths:  # LLaVA-NeXT marks a video's frames with <image>
            for m in messages:
                m["content"] = m["content"].replace(IMAGE_TOKEN, VIDEO_TOKEN)
        return Sample(
            id=self.record_id(index, record),
            images=[image_ref(p, self.image_root) for p in paths],
            messages=messages,
            fields=source_fields(record, _OWN_KEYS),
            videos=video_refs(videos, self.image_root),
        )


class _LlavaRecords(FormatWriter):
    """The record logic both LLaVA writers share; ``max_images`` and the image layout differ."""

    max_images: int | None = 1
    OPTIONS: ClassVar[dict[str, Any]] = {"system": "fold"}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"system": ("fold", "drop")}

    def record(self, sample: Sample) -> dict[str, Any]:
        if sample.videos:
            return self._video_record(sample)
        if self.max_images is not None and len(sample.images) > self.max_images:
            raise LeftOut("multi_image", "LLaVA-1.5 takes one image; write llava_onevision")
        conv = prepare(sample, self.assistant_images)
        turns = self._fold_system(conv)
        out: dict[str, Any] = {"id": sample.id}
        paths = [self.image_path(i) for i in conv.images]
        if paths:
            out["image"] = paths[0] if self.max_images == 1 else paths
            if self.max_images == 1:
                moved = _image_opens_first_turn(turns)
                if [m["content"].count(IMAGE_TOKEN) for m in moved] != [
                    m["content"].count(IMAGE_TOKEN) for m in turns
                ]:
                    self.lost["image_moved_to_first_turn"] += 1
                turns = moved
        out["conversations"] = [
            {"from": ROLE_TO_LLAVA[m["role"]], "value": m["content"]} for m in turns
        ]
        out.update(self.extra_fields(sample))
        return out

    def _video_record(self, sample: Sample) -> dict[str, Any]:
        """LLaVA-NeXT's video record: ``video`` one path, no ``image`` key, ``<image>`` marking
        the frames in the first human turn (see :mod:`mmrecipe.io.video_layout`)."""
        if len(sample.videos) > 1:
            raise LeftOut("multi_video", "LLaVA-NeXT's video records hold one video")
        if sample.images:
            raise LeftOut("video_with_images", "LLaVA-NeXT records hold images or a video")
        conv = prepare(sample, self.assistant_images)
        conv.messages = place_videos(conv.messages, 1)
        turns = [
            {**m, "content": m["content"].replace(VIDEO_TOKEN, IMAGE_TOKEN)}
            for m in self._fold_system(conv)
        ]
        out: dict[str, Any] = {"id": sample.id, "video": self.video_path(sample.videos[0])}
        out["conversations"] = [
            {"from": ROLE_TO_LLAVA[m["role"]], "value": m["content"]} for m in turns
        ]
        out.update(self.extra_fields(sample))
        return out

    def _fold_system(self, conv: Conversation) -> list[dict[str, str]]:
        """LLaVA's ``preprocess`` knows only human/gpt: the system text opens the first human
        turn (after its image), or is dropped and counted (``system: drop``)."""
        turns = [dict(m) for m in conv.messages]
        if not conv.system:
            return turns
        if self.options["system"] == "drop":
            self.lost["system_turn"] += 1
            return turns
        pieces = split_pieces(turns[0]["content"])
        lead = 0
        while lead < len(pieces) and pieces[lead] is None:
            lead += 1
        rest = pieces[lead:]
        if rest and rest[0] is not None:
            rest[0] = f"{conv.system}\n\n{rest[0]}"
        else:
            rest.insert(0, conv.system)
        turns[0]["content"] = join_pieces(pieces[:lead] + rest)
        self.lost["system_folded"] += 1
        return turns


def _image_opens_first_turn(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    """LLaVA-1.5: the one ``<image>`` opens the first human turn, and no other turn has one."""
    if turns[0]["content"].startswith(IMAGE_TOKEN) and not any(
        IMAGE_TOKEN in m["content"] for m in turns[1:]
    ):
        return turns
    out = [dict(m) for m in turns]
    n = sum(m["content"].count(IMAGE_TOKEN) for m in out)
    for m in out:
        m["content"] = join_pieces([p for p in split_pieces(m["content"]) if p is not None])
    out[0]["content"] = join_pieces([None] * n + split_pieces(out[0]["content"]))
    return out


class LlavaWriter(_LlavaRecords, JsonArrayOut):
    """LLaVA-1.5's training JSON array (see the module docstring)."""

    max_images = 1


class LlavaOneVisionWriter(_LlavaRecords, JsonLinesOut):
    """LLaVA-NeXT / OneVision and InternVL JSONL: ``image`` a list, several images allowed."""

    max_images = None
    takes_videos = True
