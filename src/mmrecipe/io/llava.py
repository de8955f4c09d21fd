"""LLaVA JSON/JSONL: ``{"id", "image": str | [str], "conversations": [{"from", "value"}]}``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    JsonlWriter,
    count_json_records,
    iter_json_records,
    rejected_record,
    resolve_image,
)
from mmrecipe.io.conversation import from_llava, to_llava
from mmrecipe.sample import ImageRef, Sample, stable_id


class LlavaReader:
    def __init__(self, path: Path, image_root: Path | None = None) -> None:
        self.path = path
        self.image_root = image_root or path.parent

    def count(self) -> int | None:
        return count_json_records(self.path)

    def __iter__(self) -> Iterator[Sample]:
        for index, record in iter_json_records(self.path, "llava"):
            if isinstance(record, str):
                yield rejected_record(self.path, index, "malformed_record", record)
                continue
            try:
                yield self._sample(index, record)
            except (KeyError, TypeError, ValueError) as exc:
                yield rejected_record(
                    self.path,
                    index,
                    "malformed_record",
                    f"record {index} of {self.path.name}: {exc}",
                )

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        images = record.get("image", record.get("images"))
        if images is None:
            images = []
        elif isinstance(images, str):
            images = [images]
        refs = [ImageRef(path=resolve_image(str(p), self.image_root)) for p in images]
        rid = record.get("id")
        extra = {
            k: v for k, v in record.items() if k not in ("id", "image", "images", "conversations")
        }
        return Sample(
            id=str(rid) if rid is not None else stable_id(str(self.path), str(index)),
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
