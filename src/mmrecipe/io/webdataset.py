"""WebDataset tar shards (OpenCLIP, Megatron-Energon): members grouped by key.

Each sample is ``KEY.json`` (``id``, ``messages`` with ``<image>`` placeholders, ``images``:
the member extensions of its images in order, ``fields``: the kept fields), its first image as
``KEY.<ext>`` and further ones as ``KEY.<i>.<ext>``, plus ``KEY.txt`` when it has a
``fields.caption`` (OpenCLIP's image-text pairs). ``webdataset`` splits a member name at the
first dot of its base name, so keys hold no dots. One tar per shard, as many samples as
``executor.shard_size``; members are written with fixed metadata (same input, same bytes).

Videos are ``KEY.mp4`` (further ones ``KEY.<i>.mp4``), listed in the JSON's ``videos``; the
reader streams video members to ``<materialize dir>/videos/<sha256>.<ext>`` in 1 MiB blocks
(never a whole video in memory), and takes plain ``.mp4``+``.txt`` shards too.

The reader takes these shards, a folder of them, and plain image+``txt`` shards.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mmrecipe.io.base import materialize_bytes, rejected_record
from mmrecipe.io.layout import LeftOut, content_text, kept_fields_raw
from mmrecipe.io.paths import is_remote
from mmrecipe.io.writing import FormatWriter
from mmrecipe.sample import Sample, VideoRef, stable_id

IMAGE_EXTS = ("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff")
#: members streamed to disk, never read whole into memory (a video may be gigabytes)
VIDEO_EXTS = ("mp4", "m4v", "mov", "mkv", "webm", "avi")


def member_key(sample_id: str) -> str:
    """A key webdataset groups by: no dots, no slashes, short."""
    key = re.sub(r"[^A-Za-z0-9_-]", "_", sample_id)[:120]
    return key or stable_id(sample_id)


class WebDatasetWriter(FormatWriter):
    suffix = ".tar"
    takes_videos = True

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
        video_exts = []
        for i, vref in enumerate(sample.videos):
            ext = Path(vref.path).suffix.lower().lstrip(".") or "mp4"
            ext = ext if i == 0 else f"{i}.{ext}"
            video_exts.append(ext)
            members.append((f"{key}.{ext}", Path(vref.path)))  # type: ignore[arg-type]
        body = {
            "id": sample.id,
            "messages": [
                {"role": str(m["role"]), "content": content_text(m.get("content"))}
                for m in sample.messages
            ],
            "images": exts,
            "fields": kept_fields_raw(sample, self.keep_fields),
        }
        if video_exts:
            body["videos"] = video_exts
        out = [(f"{key}.json", json.dumps(body, ensure_ascii=False).encode("utf-8")), *members]
        if isinstance(sample.fields.get("caption"), str):
            out.append((f"{key}.txt", sample.fields["caption"].encode("utf-8")))
        self._keys.add(key)
        return out

    def emit(self, record: list[tuple[str, bytes]]) -> None:
        for name, data in record:
            info = tarfile.TarInfo(name)
            info.mode = 0o644
            info.mtime = 0
            if isinstance(data, Path):  # a video: streamed from its file
                info.size = data.stat().st_size
                with open(data, "rb") as fh:
                    self._tar.addfile(info, fh)
                continue
            info.size = len(data)
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
        for file in self._files():
            video_dir = self.materialize_dir / "videos"
            for index, (key, members) in enumerate(_groups(file, video_dir)):
                try:
                    yield self._sample(file, key, members)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    detail = f"key {key} of {file.name}: {type(exc).__name__}: {exc}"
                    yield rejected_record(file, index, "malformed_record", detail)

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
        vexts = body.get("videos")
        if vexts is None:
            vexts = [e for e in sorted(members) if e.rsplit(".", 1)[-1] in VIDEO_EXTS]
        videos = [VideoRef(path=str(members[e]), sha256=Path(str(members[e])).stem) for e in vexts]
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
            videos=videos,
        )


def _stream_video(handle: IO[bytes], ext: str, directory: Path) -> Path:
    """A tar member copied to ``directory/<sha256>.<ext>`` in 1 MiB blocks."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".incoming-{os.getpid()}-{threading.get_ident()}.{ext}"
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        while block := handle.read(1 << 20):
            digest.update(block)
            out.write(block)
    target = directory / f"{digest.hexdigest()}.{ext.rsplit('.', 1)[-1]}"
    os.replace(tmp, target)
    return target.absolute()


def _groups(file: Path, video_dir: Path | None = None) -> Iterator[tuple[str, dict[str, bytes]]]:
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
            if handle is None:
                continue
            if video_dir is not None and ext.lower().rsplit(".", 1)[-1] in VIDEO_EXTS:
                members[ext.lower()] = _stream_video(handle, ext.lower(), video_dir)  # type: ignore[assignment]
            else:
                members[ext.lower()] = handle.read()
    if current is not None:
        yield current, members
