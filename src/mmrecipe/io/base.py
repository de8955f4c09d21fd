"""Reader and writer protocols shared by every format module."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, Protocol

from mmrecipe.io.refusal import ImageRefused
from mmrecipe.io.root import DEFAULT_MEMBER_BYTES as DEFAULT_MEMBER_BYTES
from mmrecipe.io.root import ImageRoot as ImageRoot
from mmrecipe.io.root import default_image_root as default_image_root
from mmrecipe.io.root import resolve_image as resolve_image
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
        # backslashreplace: a stray surrogate from a file name must not kill the shard
        self._fh: IO[str] = open(  # noqa: SIM115 - closed in close()
            path, "w", encoding="utf-8", errors="backslashreplace"
        )

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


#: while a shard is written: real paths of directories (and base dirs) already resolved
_resolved_dirs: ContextVar[dict[str, str] | None] = ContextVar("resolved_dirs", default=None)


@contextmanager
def resolve_cache() -> Iterator[None]:
    """Within this block, :func:`portable_path` resolves each image *directory* once (then one
    ``lstat`` per file) instead of a full ``realpath`` per image per output record: resolving
    was a fifth of a whole recaption run. Scoped (one shard's write), so a directory swapped
    for a symlink later in a long process is seen."""
    token = _resolved_dirs.set({})
    try:
        yield
    finally:
        _resolved_dirs.reset(token)


def _realpath(path: str, cache: dict[str, str] | None) -> str:
    """``os.path.realpath`` (what ``Path.resolve`` does), the parent directory's from ``cache``
    when the path is absolute and already normal and its last part is not a symlink."""
    if (
        cache is None
        or not path.startswith("/")
        or path.startswith("//")
        or os.path.normpath(path) != path
    ):
        return os.path.realpath(path)
    head, tail = os.path.split(path)
    if not tail or os.path.islink(path):
        return os.path.realpath(path)
    real_head = cache.get(head)
    if real_head is None:
        real_head = cache[head] = os.path.realpath(head)
    return real_head + tail if real_head.endswith("/") else f"{real_head}/{tail}"


def portable_path(path: str, base_dir: Path | None) -> str:
    """Relative to ``base_dir`` when the image lives under it (a portable run dir), else as is."""
    if base_dir is None or path.startswith(("http://", "https://")):
        return path
    cache = _resolved_dirs.get()
    if cache is None:
        try:
            return str(Path(path).resolve().relative_to(base_dir.resolve()))
        except ValueError:
            return str(Path(path).absolute())  # never relative to whatever the cwd was
    real = _realpath(path, cache)
    key = "\0base:" + str(base_dir)
    real_base = cache.get(key)
    if real_base is None:
        real_base = cache[key] = str(base_dir.resolve())
    if real == real_base:
        return "."
    prefix = real_base if real_base.endswith("/") else real_base + "/"
    if real.startswith(prefix):
        return real[len(prefix) :]
    return str(Path(path).absolute())  # never relative to whatever the cwd was


def iter_json_records(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Records of a JSON list or JSONL file: (index, record) or (index, error text).

        A malformed line becomes an error string so the caller can reject just that record: broken
        JSON, nesting too deep to parse (RecursionError), lone surrogates (``"\\ud800"``: valid
        JSON, but no output file could hold it), a value that is not an object. A UTF-8 byte order
        mark is skipped. A JSON array's elements are parsed one by one (:mod:`mmrecipe.io.jsonarray`),
    so a broken or too deeply nested element is one error and the elements after it are read.
    """
    from mmrecipe.io.files import open_regular

    with io.TextIOWrapper(open_regular(path), encoding="utf-8-sig", errors="replace") as fh:
        head = fh.read(1)
        while head and head.isspace():
            head = fh.read(1)
        fh.seek(0)
        if head == "[":
            from mmrecipe.io.jsonarray import array_elements

            text = fh.read()
            check = _SURROGATE.search(text) is not None
            try:  # the common case, at the C parser's speed; a broken file element by element
                elements: Iterator[tuple[bool, Any]] = ((True, r) for r in json.loads(text))
            except (json.JSONDecodeError, RecursionError):
                elements = array_elements(text)
            for index, (ok, record) in enumerate(elements):
                if not ok:
                    yield index, f"{fmt} record {index} of {path.name}: {record}"
                elif not isinstance(record, dict):
                    yield index, f"{fmt} record {index} is not an object"
                elif check and not encodable(record):
                    yield index, f"{fmt} record {index} holds a lone surrogate (invalid Unicode)"
                else:
                    yield index, record
            return
        for index, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield index, f"line {index + 1} is not valid JSON ({exc.msg})"
                continue
            except RecursionError:
                yield index, f"line {index + 1} is nested too deeply to parse"
                continue
            if not isinstance(record, dict):
                yield index, f"line {index + 1} is not a JSON object"
                continue
            if _SURROGATE.search(line) and not encodable(record):
                yield index, f"line {index + 1} holds a lone surrogate (invalid Unicode)"
                continue
            yield index, record


#: a JSON escape of a UTF-16 surrogate: only then can a parsed record hold an unencodable str
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def lone_surrogates(raw: str, value: Any) -> bool:
    """Whether ``value``, parsed from the JSON text ``raw``, holds a lone surrogate."""
    return _SURROGATE.search(raw) is not None and not encodable(value)


def encodable(record: Any) -> bool:
    """Whether ``record`` can be written as UTF-8 (paired surrogate escapes are fine)."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        return False
    return True


def rejected_record(path: Path, index: int | str, reason: str, detail: str) -> Sample:
    """A placeholder sample for an unreadable record, so it is counted and kept in rejects/."""
    from mmrecipe.sample import stable_id

    sample = Sample(
        id=stable_id(str(path), str(index)),
        fields={"source_file": str(path), "source_index": index},
    )
    return sample.reject("read", reason, detail)


def record_error(exc: BaseException, limit: int = 300) -> str:
    """A reject detail for an exception: its type and a bounded message (never a traceback)."""
    text = str(exc)
    if len(text) > limit:
        text = text[:limit] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def guarded(samples: Iterable[Sample], source: Path) -> Iterator[Sample]:
    """A reader's samples; if the reader itself fails (a broken file, a reader bug), the rest
    of the file becomes one reject (``reader_error``) instead of a dead run."""
    try:
        it = iter(samples)
    except ImageRefused as exc:  # the file itself may not be read (not_a_file, ...)
        yield rejected_record(source, "file", exc.reason, exc.detail)
        return
    except Exception as exc:
        yield rejected_record(source, "file", "reader_error", record_error(exc))
        return
    while True:
        try:
            sample = next(it)
        except StopIteration:
            return
        except ImageRefused as exc:
            yield rejected_record(source, "file", exc.reason, exc.detail)
            return
        except Exception as exc:
            yield rejected_record(source, "file", "reader_error", record_error(exc))
            return
        yield sample


class GuardedReader:
    """Any reader, made safe to iterate: see :func:`guarded`; a failing ``count`` is unknown."""

    def __init__(self, reader: Reader, source: Path) -> None:
        self.reader = reader
        self.source = source

    def count(self) -> int | None:
        try:
            return self.reader.count()
        except Exception:
            return None

    def __iter__(self) -> Iterator[Sample]:
        return guarded(self.reader, self.source)


def _in_windows(records: Iterator[tuple[int, Any]], make: Any, workers: int) -> Iterator[Sample]:
    """Samples made ``workers`` at a time in threads (their image downloads overlap), in the
    records' order."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mmrecipe-fetch") as pool:
        window: list[tuple[int, Any]] = []
        for item in records:
            window.append(item)
            if len(window) >= workers * 4:
                yield from pool.map(lambda it: make(*it), window)
                window = []
        if window:
            yield from pool.map(lambda it: make(*it), window)


class JsonRecordReader:
    """Base of JSON/JSONL readers: one sample per record; a malformed record is rejected with
    its line and reason, and reading goes on. Subclasses implement ``_sample``."""

    format_name = "json"

    def __init__(self, path: Path, image_root: Path | ImageRoot | None = None) -> None:
        self.path = path
        self.image_root = image_root or path.parent

    def count(self) -> int | None:
        return count_json_records(self.path)

    def __iter__(self) -> Iterator[Sample]:
        records = iter_json_records(self.path, self.format_name)
        root = self.image_root
        if isinstance(root, ImageRoot) and root.allow_remote and root.remote_workers > 1:
            yield from _in_windows(records, self._one, root.remote_workers)
            return
        for index, record in records:
            yield self._one(index, record)

    def _one(self, index: int, record: dict[str, Any] | str) -> Sample:
        """The sample of one record, or its reject; never raises."""
        if isinstance(record, str):
            return rejected_record(self.path, index, "malformed_record", record)
        try:
            return self._sample(index, record)
        except ImageRefused as exc:
            detail = f"record {index} of {self.path.name}: {exc.detail}"
            return rejected_record(self.path, index, exc.reason, detail)
        except Exception as exc:  # any record the reader cannot make sense of
            detail = f"record {index} of {self.path.name}: {record_error(exc)}"
            return rejected_record(self.path, index, "malformed_record", detail)

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        raise NotImplementedError

    def record_id(self, index: int, record: dict[str, Any]) -> str:
        """The record's own ``id``, else a stable hash of file and position."""
        from mmrecipe.sample import stable_id

        rid = record.get("id")
        return str(rid) if rid is not None else stable_id(str(self.path), str(index))


#: a JSON array up to this size is parsed once more to count its records (progress, ETA)
COUNT_ARRAY_MAX_BYTES = 64 << 20


def count_json_records(path: Path) -> int | None:
    """Records of a JSONL file (lines), or of a JSON array small enough to parse twice."""
    from mmrecipe.io.files import open_regular

    try:
        if path.suffix == ".jsonl":
            with open_regular(path) as fh:
                return sum(1 for line in fh if line.strip())
        if path.stat().st_size > COUNT_ARRAY_MAX_BYTES:
            return None
        with open_regular(path) as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
            if not head.startswith(b"["):  # JSONL under another suffix: lines
                fh.seek(0)
                return sum(1 for line in fh if line.strip())
            fh.seek(0)
            data = json.loads(fh.read().decode("utf-8-sig", errors="replace"))
    except (OSError, ValueError, RecursionError, ImageRefused):
        return None
    return len(data) if isinstance(data, list) else None


def materialize_bytes(data: bytes, directory: Path) -> ImageRef:
    """Write embedded image bytes to ``directory/<sha256>.<ext>`` once; return the reference."""
    import hashlib

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
