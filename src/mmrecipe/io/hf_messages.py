"""Typed-part messages, as TRL and Hugging Face chat templates take them:
``{"messages": [{"role", "content": [{"type": "image"}, {"type": "text", "text": ...}]}],
"images": [...]}``.

TRL's ``DataCollatorForVisionLanguageModeling`` (``trl/trainer/sft_trainer.py``) passes
``messages`` through ``prepare_multimodal_messages`` (``trl/data_utils.py``), which counts the
``{"type": "image"}`` parts against ``images`` and raises on a mismatch, then renders them with
the processor's chat template. So the text holds no literal ``<image>`` (the template adds the
model's own token per image part: a literal one would be a second, unmatched marker), every
``content`` is a list of parts (one JSON type across rows), the system prompt is a ``system``
message, and images in assistant turns are left out (``assistant_image``) or moved
(``assistant_images: move_to_user``). ``images`` are paths relative to the run dir; the
loading line the run writes to ``trainers/`` casts them to the ``datasets`` Image feature.

Videos: ``{"type": "video"}`` parts matched in order with a ``videos`` column (what HF chat
templates of video models render, e.g. Qwen2-VL's ``<|vision_start|><|video_pad|><|vision_end|>``).

The reader also takes ``text: null`` parts (llava-instruct-mix-vsft) and a single ``image``.
"""

from __future__ import annotations

from typing import Any

from mmrecipe.io.base import JsonRecordReader
from mmrecipe.io.conversation import LLAVA_TO_ROLE
from mmrecipe.io.layout import content_text, merge_image_only_turns, prepare, split_pieces
from mmrecipe.io.llava import image_list, source_fields
from mmrecipe.io.paths import image_ref
from mmrecipe.io.video_layout import VIDEO_TOKEN, place_videos, video_list, video_refs
from mmrecipe.io.writing import JsonLinesOut
from mmrecipe.sample import Sample

_OWN_KEYS = ("id", "messages", "images", "image", "videos", "video")


def typed_parts(text: str) -> list[dict[str, Any]]:
    """``"<image>\\nWhat?"`` as ``[{"type": "image"}, {"type": "text", "text": "What?"}]``;
    ``<video>`` lines become ``{"type": "video"}`` parts (HF chat templates' video part)."""
    out: list[dict[str, Any]] = []
    for p in split_pieces(text):
        if p is None:
            out.append({"type": "image", "text": None})
            continue
        for i, chunk in enumerate(p.split(VIDEO_TOKEN)):
            if i > 0:
                out.append({"type": "video", "text": None})
            chunk = chunk.strip("\n") if VIDEO_TOKEN in p else chunk
            if chunk:
                out.append({"type": "text", "text": chunk})
    return out


def messages_from_parts(raw: Any) -> list[dict[str, Any]]:
    """Messages with string or typed-part content, as mmrecipe messages (turns merged)."""
    if not isinstance(raw, list):
        raise ValueError("no 'messages' list")
    messages = []
    for m in raw:
        if not isinstance(m, dict):
            raise ValueError(f"message is {type(m).__name__}, not an object")
        role = m.get("role")
        if not isinstance(role, str):
            raise ValueError("message without a role")
        messages.append(
            {"role": LLAVA_TO_ROLE.get(role, role), "content": content_text(m.get("content"))}
        )
    return merge_image_only_turns(messages)


class HFMessagesReader(JsonRecordReader):
    format_name = "hf_messages"

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        paths = image_list(record.get("images", record.get("image")))
        return Sample(
            id=self.record_id(index, record),
            images=[image_ref(p, self.image_root) for p in paths],
            messages=messages_from_parts(record.get("messages")),
            fields=source_fields(record, _OWN_KEYS),
            videos=video_refs(
                video_list(record.get("videos", record.get("video"))), self.image_root
            ),
        )


class HFMessagesWriter(JsonLinesOut):
    """TRL / chat-template JSONL (see the module docstring)."""

    source_column = True
    takes_videos = True

    def record(self, sample: Sample) -> dict[str, Any]:
        conv = prepare(sample, self.assistant_images)
        if sample.videos:
            conv.messages = place_videos(conv.messages, len(sample.videos))
        messages = [{"role": "system", "content": typed_parts(conv.system)}] if conv.system else []
        messages += [
            {"role": m["role"], "content": typed_parts(m["content"])} for m in conv.messages
        ]
        out: dict[str, Any] = {
            "id": sample.id,
            "messages": messages,
            "images": [self.image_path(i) for i in conv.images],
        }
        if sample.videos:
            out["videos"] = [self.video_path(v) for v in sample.videos]
        out.update(self.extra_fields(sample))
        return out
