"""mmrecipe's own JSONL: full samples (fields, scores, trace), the lossless format.

Image paths under the run dir are stored relative to it, and read back against the run dir
that holds the file (whatever the working directory), so a run dir made with a relative
``-o`` or moved elsewhere still finds its images.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    JsonlWriter,
    count_json_records,
    iter_json_records,
    portable_path,
    rejected_record,
    resolve_image,
)
from mmrecipe.io.paths import default_image_root, is_remote
from mmrecipe.sample import Sample


class SamplesReader:
    def __init__(self, path: Path, root: Path | None = None) -> None:
        self.path = path
        self.root = root or default_image_root(path)

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
            for ref in sample.images:
                if not is_remote(ref.path) and not Path(ref.path).is_absolute():
                    ref.path = resolve_image(ref.path, self.root)
            sample.rejection = None
            yield sample


class SamplesWriter(JsonlWriter):
    def record(self, sample: Sample) -> dict[str, Any]:
        out = sample.to_dict()
        out["images"] = [
            {**ref, "path": portable_path(ref["path"], self.base_dir)} for ref in out["images"]
        ]
        return out
