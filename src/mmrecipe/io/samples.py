"""mmrecipe's own JSONL: full samples (fields, scores, trace), the lossless format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import JsonlWriter, count_json_records, iter_json_records, rejected_record
from mmrecipe.sample import Sample


class SamplesReader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def count(self) -> int | None:
        return count_json_records(self.path)

    def __iter__(self) -> Iterator[Sample]:
        for index, record in iter_json_records(self.path, "samples"):
            if isinstance(record, str):
                yield rejected_record(self.path, index, "malformed_record", record)
                continue
            try:
                sample = Sample.from_dict(record)
            except (KeyError, TypeError, ValueError) as exc:
                yield rejected_record(self.path, index, "malformed_record", str(exc))
                continue
            sample.rejection = None
            yield sample


class SamplesWriter(JsonlWriter):
    def record(self, sample: Sample) -> dict[str, Any]:
        return sample.to_dict()
