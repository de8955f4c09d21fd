"""ShareGPT as LLaMA-Factory reads it: ``{"messages": [{"role", "content"}], "images": [...]}``."""

from __future__ import annotations

from typing import Any

from mmrecipe.io.base import (
    JsonlWriter,
    JsonRecordReader,
    resolve_image,
)
from mmrecipe.io.conversation import LLAVA_TO_ROLE, text_of
from mmrecipe.sample import ImageRef, Sample


class ShareGPTReader(JsonRecordReader):
    format_name = "sharegpt"

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        raw_messages = record.get("messages")
        if raw_messages is None and "conversations" in record:
            raw_messages = record["conversations"]
        if not isinstance(raw_messages, list):
            raise ValueError("no 'messages' list")
        messages = []
        for m in raw_messages:
            role = m.get("role") or LLAVA_TO_ROLE.get(str(m.get("from")), None)
            if role is None:
                raise ValueError(f"message without role: {m!r}")
            content = m.get("content", m.get("value", ""))
            messages.append({"role": role, "content": text_of({"content": content})})
        images = record.get("images") or []
        if isinstance(images, str):
            images = [images]
        extra = {
            k: v
            for k, v in record.items()
            if k not in ("id", "messages", "images", "conversations")
        }
        return Sample(
            id=self.record_id(index, record),
            images=[ImageRef(path=resolve_image(p, self.image_root)) for p in images],
            messages=messages,
            fields=extra,
        )


class ShareGPTWriter(JsonlWriter):
    def record(self, sample: Sample) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": sample.id,
            "messages": [{"role": m["role"], "content": text_of(m)} for m in sample.messages],
            "images": [self.image_path(i) for i in sample.images],
        }
        out.update(self.extra_fields(sample))
        return out
