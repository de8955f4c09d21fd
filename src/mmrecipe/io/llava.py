"""LLaVA JSON/JSONL: ``{"id", "image": str | [str], "conversations": [{"from", "value"}]}``."""

from __future__ import annotations

from typing import Any

from mmrecipe.io.base import (
    JsonlWriter,
    JsonRecordReader,
    resolve_image,
)
from mmrecipe.io.conversation import from_llava, to_llava
from mmrecipe.sample import ImageRef, Sample


class LlavaReader(JsonRecordReader):
    format_name = "llava"

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        images = record.get("image", record.get("images"))
        if images is None:
            images = []
        elif isinstance(images, str):
            images = [images]
        refs = [ImageRef(path=resolve_image(p, self.image_root)) for p in images]
        extra = {
            k: v for k, v in record.items() if k not in ("id", "image", "images", "conversations")
        }
        return Sample(
            id=self.record_id(index, record),
            images=refs,
            messages=from_llava(record.get("conversations") or []),
            fields=extra,
        )


class LlavaWriter(JsonlWriter):
    def record(self, sample: Sample) -> dict[str, Any]:
        paths = [self.image_path(i) for i in sample.images]
        out: dict[str, Any] = {"id": sample.id}
        if paths:
            out["image"] = paths[0] if len(paths) == 1 else paths
        out["conversations"] = to_llava(sample.messages)
        out.update(self.extra_fields(sample))
        return out
