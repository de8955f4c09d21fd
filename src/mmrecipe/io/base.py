"""Reader and writer protocols shared by every format module."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from mmrecipe.sample import ImageRef, Sample

IMAGE_TOKEN = "<image>"


class Reader(Protocol):
    """Yields samples in a deterministic order; unreadable records come out already rejected."""

    def __iter__(self) -> Iterator[Sample]: ...

    def count(self) -> int | None:
        """How many samples will come out, when cheap to know (for progress and ETA)."""
        ...


class Writer(Protocol):
    """Writes samples of one format into one file."""

    suffix: str

    def write(self, sample: Sample) -> None: ...

    def close(self) -> None: ...


class JsonlWriter:
    """Base for line-per-record formats: subclasses turn a sample into a dict."""

    suffix = ".jsonl"

    def __init__(
        self, path: Path, base_dir: Path | None = None, keep_fields: list[str] | None = None
    ) -> None:
        self.path = path
        self.base_dir = base_dir
        self.keep_fields = keep_fields or []
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def record(self, sample: Sample) -> dict[str, Any]:
        raise NotImplementedError

    def write(self, sample: Sample) -> None:
        self._fh.write(json.dumps(self.record(sample), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()

    def image_path(self, ref: ImageRef) -> str:
        return portable_path(ref.path, self.base_dir)

    def extra_fields(self, sample: Sample) -> dict[str, Any]:
        return {k: sample.fields[k] for k in self.keep_fields if k in sample.fields}


def portable_path(path: str, base_dir: Path | None) -> str:
    """Relative to ``base_dir`` when the image lives under it (a portable run dir), else as is."""
    if base_dir is None or path.startswith(("http://", "https://")):
        return path
    try:
        return str(Path(path).resolve().relative_to(base_dir.resolve()))
    except ValueError:
        return str(Path(path).absolute())  # never relative to whatever the cwd was


def resolve_image(path: str, root: Path) -> str:
    """An absolute path for an image named in an annotation file."""
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else (root / p).absolute())


def iter_json_records(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Records of a JSON list or JSONL file: (index, record) or (index, error text).

    A malformed line becomes an error string so the caller can reject just that record.
    """
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.read(1)
        while head and head.isspace():
            head = fh.read(1)
        fh.seek(0)
        if head == "[":
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                yield (
                    0,
                    f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno}); no record read",
                )
                return
            for index, record in enumerate(data):
                if isinstance(record, dict):
                    yield index, record
                else:
                    yield index, f"{fmt} record {index} is not an object"
            return
        for index, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield index, f"line {index + 1} is not valid JSON ({exc.msg})"
                continue
            if not isinstance(record, dict):
                yield index, f"line {index + 1} is not a JSON object"
                continue
            yield index, record


class RecordRejected(ValueError):
    """A record a reader refuses for a named reason (e.g. ``remote_image``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def rejected_record(path: Path, index: int, reason: str, detail: str) -> Sample:
    """A placeholder sample for an unreadable record, so it is counted and kept in rejects/."""
    from mmrecipe.sample import stable_id

    sample = Sample(
        id=stable_id(str(path), str(index)),
        fields={"source_file": str(path), "source_index": index},
    )
    return sample.reject("read", reason, detail)


class JsonRecordReader:
    """Base of JSON/JSONL readers: one sample per record; a malformed record is rejected with
    its line and reason, and reading goes on. Subclasses implement ``_sample``."""

    format_name = "json"

    def __init__(self, path: Path, image_root: Path | None = None) -> None:
        self.path = path
        self.image_root = image_root or path.parent

    def count(self) -> int | None:
        return count_json_records(self.path)

    def __iter__(self) -> Iterator[Sample]:
        for index, record in iter_json_records(self.path, self.format_name):
            if isinstance(record, str):
                yield rejected_record(self.path, index, "malformed_record", record)
                continue
            try:
                yield self._sample(index, record)
            except RecordRejected as exc:
                detail = f"record {index} of {self.path.name}: {exc.detail}"
                yield rejected_record(self.path, index, exc.reason, detail)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                detail = f"record {index} of {self.path.name}: {type(exc).__name__}: {exc}"
                yield rejected_record(self.path, index, "malformed_record", detail)

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        raise NotImplementedError

    def record_id(self, index: int, record: dict[str, Any]) -> str:
        """The record's own ``id``, else a stable hash of file and position."""
        from mmrecipe.sample import stable_id

        rid = record.get("id")
        return str(rid) if rid is not None else stable_id(str(self.path), str(index))


def count_json_records(path: Path) -> int | None:
    if path.suffix == ".jsonl":
        with open(path, "rb") as fh:
            return sum(1 for line in fh if line.strip())
    return None


def materialize_bytes(data: bytes, directory: Path) -> ImageRef:
    """Write embedded image bytes to ``directory/<sha256>.<ext>`` once; return the reference."""
    import hashlib
    import io

    sha = hashlib.sha256(data).hexdigest()
    ext = "bin"
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            ext = (im.format or "bin").lower().replace("jpeg", "jpg")
    except Exception:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{sha}.{ext}"
    if not target.exists():
        tmp = target.with_suffix(target.suffix + f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return ImageRef(path=str(target.absolute()), sha256=sha, size_bytes=len(data))
