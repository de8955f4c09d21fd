"""mmrecipe's own JSONL: full samples (fields, scores, trace), the lossless format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    ImageRefused,
    ImageRoot,
    JsonlWriter,
    count_json_records,
    iter_json_records,
    record_error,
    rejected_record,
    resolve_image,
)
from mmrecipe.sample import Sample


class SamplesReader:
    """Samples as mmrecipe wrote them. As a dataset (``image_root`` given) its image paths are
    confined like any reader's; the executor's own stage files are read unconfined."""

    def __init__(self, path: Path, image_root: Path | ImageRoot | None = None) -> None:
        self.path = path
        self.image_root = image_root

    def count(self) -> int | None:
        return count_json_records(self.path)

    def __iter__(self) -> Iterator[Sample]:
        for index, record in iter_json_records(self.path, "samples"):
            if isinstance(record, str):
                yield rejected_record(self.path, index, "malformed_record", record)
                continue
            try:
                sample = Sample.from_dict(record)
                if self.image_root is not None:
                    for ref in sample.images:
                        ref.path = resolve_image(ref.path, self.image_root)
            except ImageRefused as exc:
                yield rejected_record(self.path, index, exc.reason, f"record {index}: {exc.detail}")
                continue
            except Exception as exc:
                yield rejected_record(self.path, index, "malformed_record", record_error(exc))
                continue
            sample.rejection = None
            yield sample


class SamplesWriter(JsonlWriter):
    def record(self, sample: Sample) -> dict[str, Any]:
        return sample.to_dict()
