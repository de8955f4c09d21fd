"""mmrecipe's own JSONL: full samples (fields, scores, trace), the lossless format.

Image paths under the run dir are stored relative to it, and read back against the run dir
that holds the file (whatever the working directory), so a run dir made with a relative
``-o`` or moved elsewhere still finds its images.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    ImageRefused,
    ImageRoot,
    JsonlWriter,
    count_json_records,
    default_image_root,
    iter_json_records,
    portable_path,
    record_error,
    rejected_record,
    resolve_image,
)
from mmrecipe.io.paths import is_remote
from mmrecipe.sample import Sample


class SamplesReader:
    """Samples as mmrecipe wrote them. As a dataset (``image_root`` given) its image paths are
    confined like any reader's and its images' ``sha256`` dropped (two different images with a
    forged equal hash must not dedup each other); the executor's own stage files are read
    unconfined, relative paths against the run dir that holds them, hashes kept."""

    def __init__(self, path: Path, image_root: Path | ImageRoot | None = None) -> None:
        self.path = path
        self.image_root = image_root
        self.base = default_image_root(path)

    def count(self) -> int | None:
        return count_json_records(self.path)

    def __iter__(self) -> Iterator[Sample]:
        for index, record in iter_json_records(self.path, "samples"):
            if isinstance(record, str):
                yield rejected_record(self.path, index, "malformed_record", record)
                continue
            try:
                sample = Sample.from_dict(record)
                for ref in [*sample.images, *sample.videos, *_frames(sample)]:
                    # relative names: against the root (the run dir that holds the file, by
                    # default), else against that run dir for the executor's own files
                    if self.image_root is not None:
                        ref.path = resolve_image(ref.path, self.image_root)
                        # a dataset's claimed hash is never trusted: dedup, the answer
                        # cache and resume measure the bytes themselves
                        ref.sha256 = None
                    elif _plain_relative(ref.path):
                        ref.path = str(self.base / ref.path)
            except ImageRefused as exc:
                yield rejected_record(self.path, index, exc.reason, f"record {index}: {exc.detail}")
                continue
            except Exception as exc:
                yield rejected_record(self.path, index, "malformed_record", record_error(exc))
                continue
            sample.rejection = None
            yield sample


class _FramePath:
    """A sampled frame's ``path`` as an attribute, so frames are resolved like images."""

    def __init__(self, frame: dict[str, Any]) -> None:
        self.frame = frame

    @property
    def path(self) -> str:
        return str(self.frame["path"])

    @path.setter
    def path(self, value: str) -> None:
        self.frame["path"] = value

    @property
    def sha256(self) -> str | None:
        return self.frame.get("sha256")

    @sha256.setter
    def sha256(self, value: str | None) -> None:
        if value is None:
            self.frame.pop("sha256", None)
        else:
            self.frame["sha256"] = value


def _frames(sample: Sample) -> list[_FramePath]:
    return [_FramePath(f) for v in sample.videos for f in v.frames if "path" in f]


def _plain_relative(name: object) -> bool:
    """A relative file name (not ``~...``, not a URL): what a run dir stores for its images."""
    return (
        isinstance(name, str)
        and bool(name)
        and not os.path.isabs(name)
        and not name.startswith("~")
        and ":" not in name.split("/", 1)[0]
        and not is_remote(name)
    )


class SamplesWriter(JsonlWriter):
    def record(self, sample: Sample) -> dict[str, Any]:
        out = sample.to_dict()
        out["images"] = [
            {**ref, "path": portable_path(ref["path"], self.base_dir)} for ref in out["images"]
        ]
        for video in out.get("videos", []):
            video["path"] = portable_path(video["path"], self.base_dir)
            for frame in video.get("frames", []):
                frame["path"] = portable_path(frame["path"], self.base_dir)
        return out
