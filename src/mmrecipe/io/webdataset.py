"""WebDataset tar shards (OpenCLIP, Megatron-Energon): members grouped by key.

Each sample is ``KEY.json`` (``id``, ``messages`` with ``<image>`` placeholders, ``images``:
the member extensions of its images in order, ``fields``: the kept fields as one JSON text, so
the member's schema is the same in every sample of every shard), its first image as
``KEY.<ext>`` and further ones as ``KEY.<i>.<ext>``, plus ``KEY.txt`` when it has a
``fields.caption`` (OpenCLIP's image-text pairs). ``webdataset`` splits a member name at the
first dot of its base name, so keys hold no dots. One tar per shard, as many samples as
``executor.shard_size``; members are written with fixed metadata (same input, same bytes).

HF ``load_dataset("webdataset")`` infers its features from the first five samples of the first
tar: plain, it loads runs whose samples share one member set (one image of one type, all or
none with a caption). Samples differ in image count and type, so the run writes the loading
line with the run's features in ``trainers/hf_datasets.py`` (:func:`hf_features`): every member
name any shard holds, absent ones ``None``.

The reader takes these shards, a folder of them, plain image+``txt`` shards, and
img2dataset's (the ``.json`` keys other than ours are kept in ``fields``, the tar key is the
id).
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import materialize_bytes, rejected_record
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
            "fields": json.dumps(
                kept_fields_raw(sample, self.keep_fields), ensure_ascii=False, default=str
            ),
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
    def __init__(self, path: Path, materialize_dir: Path | None = None) -> None:
        self.path = path
        self.materialize_dir = materialize_dir or path.parent / "images"

    def _files(self) -> list[Path]:
        return sorted(self.path.rglob("*.tar")) if self.path.is_dir() else [self.path]

    def count(self) -> int | None:
        return None

    def __iter__(self) -> Iterator[Sample]:
        seen: set[str] = set()
        for file in self._files():
            for index, (key, members) in enumerate(_groups(file)):
                try:
                    sample = self._sample(file, key, members)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    detail = f"key {key} of {file.name}: {type(exc).__name__}: {exc}"
                    yield rejected_record(file, index, "malformed_record", detail)
                    continue
                if sample.id in seen:  # the same key in two tars: the tar's name tells them apart
                    sample.id = f"{file.stem}/{sample.id}"
                seen.add(sample.id)
                yield sample

    def _sample(self, file: Path, key: str, members: dict[str, bytes]) -> Sample:
        body: dict[str, Any] = {}
        if "json" in members:
            body = json.loads(members["json"].decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("json member is not an object")
        exts = body.get("images")
        if not isinstance(exts, list):
            exts = [e for e in sorted(members) if e.rsplit(".", 1)[-1] in IMAGE_EXTS]
        images = [materialize_bytes(members[e], self.materialize_dir) for e in exts]
        packed = body.get("fields") or {}
        fields = dict(json.loads(packed) if isinstance(packed, str) else packed)
        # img2dataset's and other tools' keys (url, key, status, width, height, similarity, ...)
        extra = {k: v for k, v in body.items() if k not in _OWN_KEYS}
        if extra:
            fields.update(extra)
            fields["source_keys"] = sorted({*fields.get("source_keys", []), *extra})
        if "txt" in members and "caption" not in fields:
            fields["caption"] = members["txt"].decode("utf-8", errors="replace")
        messages = [
            {"role": str(m["role"]), "content": content_text(m.get("content"))}
            for m in body.get("messages") or []
        ]
        own_id = body.get("id")
        return Sample(
            id=str(own_id) if own_id not in (None, "") else key.rsplit("/", 1)[-1],
            images=images,
            messages=messages,
            fields=fields,
        )


_OWN_KEYS = ("id", "messages", "images", "fields")


def _groups(file: Path) -> Iterator[tuple[str, dict[str, bytes]]]:
    """Consecutive members with one key, as webdataset's ``group_by_keys`` groups them."""
    current: str | None = None
    members: dict[str, bytes] = {}
    with tarfile.open(file, "r") as tar:
        for info in tar:
            if not info.isfile():
                continue
            base = info.name.rsplit("/", 1)[-1]
            if "." not in base:
                continue
            key, ext = base.split(".", 1)
            key = info.name[: len(info.name) - len(base)] + key
            if current is not None and key != current:
                yield current, members
                members = {}
            current = key
            handle = tar.extractfile(info)
            if handle is not None:
                members[ext.lower()] = handle.read()
    if current is not None:
        yield current, members


def member_names(files: list[Path]) -> list[str]:
    """Every member name (the part after the key) the tars hold, ``json`` first."""
    names: set[str] = set()
    for file in files:
        with tarfile.open(file, "r") as tar:
            for info in tar:
                base = info.name.rsplit("/", 1)[-1]
                if info.isfile() and "." in base:
                    names.add(base.split(".", 1)[1].lower())
    return sorted(names, key=lambda n: (n != "json", n.count("."), n))


def hf_features(files: list[Path]) -> str:
    """The ``datasets.Features`` of these tars as Python source, for HF's webdataset builder
    (which otherwise infers them from the first five samples and fails when samples differ)."""
    parts = ['"__key__": Value("string")', '"__url__": Value("string")']
    for name in member_names(files):
        if name == "json":
            parts.append(
                '"json": {"id": Value("string"), "messages": [{"role": Value("string"), '
                '"content": Value("string")}], "images": [Value("string")], '
                '"fields": Value("string")}'
            )
        elif name.rsplit(".", 1)[-1] in IMAGE_EXTS:
            parts.append(f"{name!r}: Image()")
        elif name == "txt":
            parts.append('"txt": Value("string")')
        else:
            parts.append(f'{name!r}: Value("binary")')
    return "Features({" + ", ".join(parts) + "})"
