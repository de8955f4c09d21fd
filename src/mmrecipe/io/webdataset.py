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

Videos are ``KEY.mp4`` (further ones ``KEY.<i>.mp4``), listed in the JSON's ``videos``; the
reader streams video members to ``<materialize dir>/videos/<sha256>.<ext>`` in 1 MiB blocks
(never a whole video in memory; the member size cap applies), and takes plain ``.mp4`` shards.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

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
            "fields": json.dumps(
                kept_fields_raw(sample, self.keep_fields), ensure_ascii=False, default=str
            ),
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
        seen: set[str] = set()
        for file, refusal in self._files():
            if refusal is not None:
                yield rejected_record(file, "file", refusal.reason, refusal.detail)
                continue
            index = 0
            try:
                video_dir = self.materialize_dir / "videos"
                for key, members, too_big in _groups(file, self.max_member_bytes, video_dir):
                    if too_big:
                        detail = f"key {key} of {file.name}: {too_big}"
                        yield rejected_record(file, index, "member_too_large", detail)
                    else:
                        sample = self._safe_sample(file, index, key, members)
                        if sample.id in seen and not sample.rejected:
                            # the same key in two tars: the tar's name tells them apart
                            sample.id = f"{file.stem}/{sample.id}"
                        seen.add(sample.id)
                        yield sample
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
        if not isinstance(exts, list):
            exts = [e for e in sorted(members) if e.rsplit(".", 1)[-1] in IMAGE_EXTS]
        images = [materialize_bytes(members[e], self.materialize_dir) for e in exts]
        vexts = body.get("videos")
        if vexts is None:
            vexts = [e for e in sorted(members) if e.rsplit(".", 1)[-1] in VIDEO_EXTS]
        videos = [VideoRef(path=str(members[e]), sha256=Path(str(members[e])).stem) for e in vexts]
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
            videos=videos,
        )


_OWN_KEYS = ("id", "messages", "images", "videos", "fields")


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


def _groups(
    file: Path, max_bytes: int, video_dir: Path | None = None
) -> Iterator[tuple[str, dict[str, bytes], str]]:
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
            if (
                handle is not None
                and video_dir is not None
                and ext.lower().rsplit(".", 1)[-1] in VIDEO_EXTS
            ):
                members[ext.lower()] = _stream_video(handle, ext.lower(), video_dir)  # type: ignore[assignment]
            elif handle is not None:
                data = handle.read(max_bytes + 1)
                if len(data) > max_bytes:  # cannot happen with a truthful header; be sure
                    too_big = f"member {base[:200]} is over {max_bytes} bytes; not kept"
                    members = {}
                    continue
                members[ext.lower()] = data
    if current is not None:
        yield current, members, too_big


def member_names(files: list[Path]) -> list[str]:
    """Every member name (the part after the key) the tars hold, ``json`` first."""
    names: set[str] = set()
    for file in files:
        with tarfile.open(file, "r") as tar:
            while (info := tar.next()) is not None:
                tar.members = []  # names only: a big tar must not pile up TarInfos
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
