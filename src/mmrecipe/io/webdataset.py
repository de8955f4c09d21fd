"""WebDataset tar shards (OpenCLIP, Megatron-Energon): members grouped by key.

Each sample is ``KEY.json`` (``id``, ``messages`` with ``<image>`` placeholders, ``images``:
the member extensions of its images in order, ``fields``: the kept fields), its first image as
``KEY.<ext>`` and further ones as ``KEY.<i>.<ext>``, plus ``KEY.txt`` when it has a
``fields.caption`` (OpenCLIP's image-text pairs). ``webdataset`` splits a member name at the
first dot of its base name, so keys hold no dots. One tar per shard, as many samples as
``executor.shard_size``; members are written with fixed metadata (same input, same bytes).

The reader takes these shards, a folder of them, and plain image+``txt`` shards.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    DEFAULT_MEMBER_BYTES,
    ImageRefused,
    ImageRoot,
    materialize_bytes,
    record_error,
    rejected_record,
)
from mmrecipe.io.files import listed_files, open_regular
from mmrecipe.io.layout import LeftOut, content_text, kept_fields_raw
from mmrecipe.io.paths import is_remote
from mmrecipe.io.writing import FormatWriter
from mmrecipe.sample import Sample, stable_id

IMAGE_EXTS = ("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff")


def member_key(sample_id: str) -> str:
    """A key webdataset groups by: no dots, no slashes, short."""
    key = re.sub(r"[^A-Za-z0-9_-]", "_", sample_id)[:120]
    return key or stable_id(sample_id)


class WebDatasetWriter(FormatWriter):
    suffix = ".tar"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tar = tarfile.open(self.path, "w", format=tarfile.USTAR_FORMAT)  # noqa: SIM115
        self._keys: set[str] = set()

    def record(self, sample: Sample) -> list[tuple[str, bytes]]:
        key = member_key(sample.id)
        if key in self._keys:
            key = f"{key}_{stable_id(sample.id)}"
        exts = []
        members: list[tuple[str, bytes]] = []
        for i, ref in enumerate(sample.images):
            if is_remote(ref.path):
                raise LeftOut("remote_image", "tar shards hold image bytes: fetch it first")
            ext = Path(ref.path).suffix.lower().lstrip(".") or "bin"
            ext = ext if i == 0 else f"{i}.{ext}"
            exts.append(ext)
            members.append((f"{key}.{ext}", Path(ref.path).read_bytes()))
        body = {
            "id": sample.id,
            "messages": [
                {"role": str(m["role"]), "content": content_text(m.get("content"))}
                for m in sample.messages
            ],
            "images": exts,
            "fields": kept_fields_raw(sample, self.keep_fields),
        }
        out = [(f"{key}.json", json.dumps(body, ensure_ascii=False).encode("utf-8")), *members]
        if isinstance(sample.fields.get("caption"), str):
            out.append((f"{key}.txt", sample.fields["caption"].encode("utf-8")))
        self._keys.add(key)
        return out

    def emit(self, record: list[tuple[str, bytes]]) -> None:
        for name, data in record:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            self._tar.addfile(info, io.BytesIO(data))

    def close(self) -> None:
        self._tar.close()


class WebDatasetReader:
    """Samples of tar shards (a file, or a folder of them: each listed file checked against
    the dataset root). A member over ``max_member_bytes`` (its declared size, checked before
    reading: a sparse or gzip bomb) is one reject for its key; the later records are read."""

    def __init__(
        self,
        path: Path,
        materialize_dir: Path | None = None,
        image_root: ImageRoot | None = None,
    ) -> None:
        self.path = path
        self.materialize_dir = materialize_dir or path.parent / "images"
        self.policy = image_root
        self.max_member_bytes = (
            image_root.member_max_bytes if image_root is not None else DEFAULT_MEMBER_BYTES
        )

    def _files(self) -> list[tuple[Path, ImageRefused | None]]:
        if self.path.is_dir():
            return list(listed_files(self.path, (".tar",), self.policy))
        return [(self.path, None)]

    def count(self) -> int | None:
        return None

    def __iter__(self) -> Iterator[Sample]:
        for file, refusal in self._files():
            if refusal is not None:
                yield rejected_record(file, "file", refusal.reason, refusal.detail)
                continue
            index = 0
            try:
                for key, members, too_big in _groups(file, self.max_member_bytes):
                    if too_big:
                        detail = f"key {key} of {file.name}: {too_big}"
                        yield rejected_record(file, index, "member_too_large", detail)
                    else:
                        yield self._safe_sample(file, index, key, members)
                    index += 1
            except ImageRefused as exc:
                yield rejected_record(file, "file", exc.reason, exc.detail)
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                detail = f"{file.name} (after {index} record(s)): {record_error(exc)}"
                yield rejected_record(file, f"file:{index}", "unreadable_file", detail)

    def _safe_sample(self, file: Path, index: int, key: str, members: dict[str, bytes]) -> Sample:
        try:
            return self._sample(file, key, members)
        except Exception as exc:
            detail = f"key {key} of {file.name}: {record_error(exc)}"
            return rejected_record(file, index, "malformed_record", detail)

    def _sample(self, file: Path, key: str, members: dict[str, bytes]) -> Sample:
        body: dict[str, Any] = {}
        if "json" in members:
            body = json.loads(members["json"].decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("json member is not an object")
        exts = body.get("images")
        if exts is None:
            exts = [e for e in sorted(members) if e.rsplit(".", 1)[-1] in IMAGE_EXTS]
        images = [materialize_bytes(members[e], self.materialize_dir) for e in exts]
        fields = dict(body.get("fields") or {})
        if "txt" in members and "caption" not in fields:
            fields["caption"] = members["txt"].decode("utf-8", errors="replace")
        messages = [
            {"role": str(m["role"]), "content": content_text(m.get("content"))}
            for m in body.get("messages") or []
        ]
        return Sample(
            id=str(body.get("id") or stable_id(str(file), key)),
            images=images,
            messages=messages,
            fields=fields,
        )


def _groups(file: Path, max_bytes: int) -> Iterator[tuple[str, dict[str, bytes], str]]:
    """Consecutive members with one key, as webdataset's ``group_by_keys`` groups them, and
    why the group is refused ("" when it is not): a member whose declared size is over
    ``max_bytes`` is never read (tarfile skips it without holding it)."""
    current: str | None = None
    members: dict[str, bytes] = {}
    too_big = ""
    with open_regular(file) as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
        while (info := tar.next()) is not None:
            tar.members = []  # a tar of millions of entries must not pile up TarInfos
            if not info.isfile():
                continue
            base = info.name.rsplit("/", 1)[-1]
            if "." not in base:
                continue
            key, ext = base.split(".", 1)
            key = info.name[: len(info.name) - len(base)] + key
            if current is not None and key != current:
                yield current, members, too_big
                members, too_big = {}, ""
            current = key
            if info.size > max_bytes:
                too_big = too_big or (
                    f"member {base[:200]} declares {info.size} bytes, over the cap of {max_bytes} "
                    "(input.member_max_bytes); not read"
                )
                members = {}
                continue
            if too_big:
                continue
            handle = tar.extractfile(info)
            if handle is not None:
                data = handle.read(max_bytes + 1)
                if len(data) > max_bytes:  # cannot happen with a truthful header; be sure
                    too_big = f"member {base[:200]} is over {max_bytes} bytes; not kept"
                    members = {}
                    continue
                members[ext.lower()] = data
    if current is not None:
        yield current, members, too_big
