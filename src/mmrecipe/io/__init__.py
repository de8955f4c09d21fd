# Readers and writers, one module per format, plus safe paths and remote fetches.
# Imported by executor/, ops, backends and cli/; it never imports ops, executor or backends.
"""Readers and writers for the formats trainers and datasets use.

| format | read | write |
| --- | --- | --- |
| image_folder | a folder of images, recursive | - |
| video_folder | a folder of videos, recursive (``videos``) | - |
| llava | LLaVA JSON array / JSONL | one JSON array per shard (LLaVA-1.5 train.py) |
| llava_onevision | the same, image lists | JSONL, image lists (LLaVA-NeXT/OneVision, InternVL) |
| internvl_meta | InternVL meta JSON -> its annotations | - (written as a snippet) |
| sharegpt | LLaMA-Factory ShareGPT (messages + images) | JSONL with a system column |
| hf_messages | typed-part messages + images (TRL) | JSONL |
| openai | OpenAI chat messages JSONL | JSONL, data: or https image URLs |
| parquet | Parquet (bytes or paths; LLaVA, messages, the_cauldron) | Parquet, images embedded |
| webdataset | tar shards (key.json + key.<ext>) | tar shards |
| coco / coco_captions | COCO captions / instances JSON | COCO instances / captions JSON |
| samples | mmrecipe's lossless sample JSONL | JSONL |
| interleaved | OBELICS / MMC4 interleaved documents JSONL | OBELICS JSONL |
| visual_genome | VG's folder (image_data, regions, objects, attributes, relationships) | - |
| edit_triplets | - | Parquet: source_image, instruction, edited_image, mask_image |

Writers are checked against the loaders they are named after (see each module); a sample a
format cannot hold is left out and counted (``stats.json`` ``outputs``), never written broken.

A new reader gets the dataset root for free: take ``image_root: Path | ImageRoot`` and pass every
image name a record holds to ``resolve_image(name, self.image_root)`` (never join paths
yourself); turn ``ImageRefused`` into a reject of the record with its ``reason`` (or derive
from ``JsonRecordReader``, which does), and any other exception of one record into a reject too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mmrecipe.errors import ConfigError, InputError
from mmrecipe.io.base import ImageRefused, ImageRoot, Reader, Writer, default_image_root
from mmrecipe.sample import Sample

FORMATS: dict[str, dict[str, bool]] = {
    "image_folder": {"read": True, "write": False},
    "video_folder": {"read": True, "write": False},
    "llava": {"read": True, "write": True},
    "llava_onevision": {"read": True, "write": True},
    "internvl_meta": {"read": True, "write": False},
    "sharegpt": {"read": True, "write": True},
    "hf_messages": {"read": True, "write": True},
    "openai": {"read": True, "write": True},
    "parquet": {"read": True, "write": True},
    "webdataset": {"read": True, "write": True},
    "coco": {"read": True, "write": True},
    "coco_captions": {"read": True, "write": True},
    "samples": {"read": True, "write": True},
    "interleaved": {"read": True, "write": True},
    "edit_triplets": {"read": False, "write": True},
    "visual_genome": {"read": True, "write": False},
}
WRITE_SUFFIX = {
    "llava": ".json",
    "llava_onevision": ".jsonl",
    "sharegpt": ".jsonl",
    "hf_messages": ".jsonl",
    "openai": ".jsonl",
    "parquet": ".parquet",
    "webdataset": ".tar",
    "coco": ".json",
    "coco_captions": ".json",
    "samples": ".jsonl",
    "interleaved": ".jsonl",
    "edit_triplets": ".parquet",
}
#: formats whose files hold the image bytes (the images must be readable when writing)
EMBEDS_IMAGES = frozenset({"parquet", "webdataset"})


def missing_image(sample: Sample) -> str | None:
    """Why a sample's images cannot be embedded (a file gone or unreadable), or None."""
    for ref in sample.images:
        if not os.path.isfile(ref.path) or not os.access(ref.path, os.R_OK):
            return f"{ref.path} is not a readable file; cannot embed it"
    return None


def detect_format(path: Path) -> str:
    """Guess the format of ``path`` from its kind, suffix and first record."""
    if path.is_dir():
        if any(path.rglob("*.parquet")):
            return "parquet"
        if any(path.rglob("*.tar")):
            return "webdataset"
        from mmrecipe.io.video_folder import VIDEO_EXTENSIONS

        if any(p.suffix.lower() in VIDEO_EXTENSIONS for p in path.rglob("*")):
            return "video_folder"
        return "image_folder"
    if path.suffix == ".parquet":
        return "parquet"
    if path.suffix == ".tar":
        return "webdataset"
    if path.suffix not in (".json", ".jsonl"):
        raise InputError(f"cannot tell the format of {path}; set input.format")
    try:
        first = _first_record(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if first is None:
        raise InputError(f"{path} holds no JSON record; set input.format")
    from mmrecipe.io.internvl import is_internvl_meta

    if is_internvl_meta(first):
        return "internvl_meta"
    if "conversations" in first and ("image" in first or "from" in str(first["conversations"])):
        return "llava"
    if ("images" in first and "annotations" in first) or "categories" in first:
        return "coco"
    if "fields" in first and "scores" in first:
        return "samples"
    if ("texts" in first and "images" in first) or "text_list" in first:
        return "interleaved"
    if "messages" in first and isinstance(first["messages"], list):
        parts = [
            p
            for m in first["messages"]
            if isinstance(m, dict) and isinstance(m.get("content"), list)
            for p in m["content"]
            if isinstance(p, dict)
        ]
        if any(p.get("type") == "image_url" for p in parts):
            return "openai"
        return "hf_messages" if parts else "sharegpt"
    if "conversations" in first:
        return "llava"
    raise InputError(f"cannot tell the format of {path} from its first record; set input.format")


def _first_record(path: Path) -> dict[str, Any] | None:
    import io

    from mmrecipe.io.files import open_regular
    from mmrecipe.io.jsonarray import array_elements

    try:
        raw = open_regular(path)
    except ImageRefused as exc:
        raise InputError(f"cannot read {path}: {exc.detail}") from None
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace") as fh:
        head = fh.read(1 << 20)
        stripped = head.lstrip()
        if stripped.startswith(("{", "[")) and path.suffix == ".json":
            head = head + fh.read()
            stripped = head.lstrip()
    if stripped.startswith("{") and path.suffix == ".json":
        try:
            return json.loads(stripped)  # type: ignore[no-any-return]
        except (json.JSONDecodeError, RecursionError):
            pass
    if stripped.startswith("["):
        for ok, first in array_elements(stripped):
            return first if ok and isinstance(first, dict) else None
        return None
    for line in stripped.splitlines():
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(record, dict):
            return record
    return None


def open_reader(
    fmt: str,
    path: Path,
    image_root: Path | ImageRoot | None = None,
    materialize_dir: Path | None = None,
    **options: Any,
) -> Reader:
    """A reader for ``path``; ``materialize_dir`` receives images that arrive as bytes.

    Image names in the dataset are confined to ``image_root`` (default: the file's folder, or
    the run dir for a file inside one, so ``convert RUN/data/shard.jsonl`` finds the run's
    images from any working directory; see ImageRoot); pass an ImageRoot to allow more.
    """
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if fmt == "auto":
        fmt = detect_format(path)
    root = (
        image_root
        if isinstance(image_root, ImageRoot)
        else ImageRoot(image_root or default_image_root(path))
    )
    if fmt == "visual_genome":
        from mmrecipe.io.visual_genome import VisualGenomeReader

        _no_options(fmt, options, allowed=("max_file_bytes",))
        return VisualGenomeReader(path, root, **options)
    if fmt == "image_folder":
        from mmrecipe.io.image_folder import ImageFolderReader

        if not path.is_dir():
            raise InputError(f"image_folder input must be a folder: {path}")
        if options.get("manifest"):  # the folder's files from a manifest, not a listing
            from mmrecipe.io.manifest import ManifestReader

            extra = set(options) - {"manifest"}
            if extra:
                raise ConfigError(
                    f"image_folder with a manifest takes no other options (got {sorted(extra)})"
                )
            return ManifestReader(path, Path(options["manifest"]).expanduser(), image_root=root)
        return ImageFolderReader(path, image_root=root, **options)
    if fmt == "video_folder":
        from mmrecipe.io.video_folder import VideoFolderReader

        if not path.is_dir():
            raise InputError(f"video_folder input must be a folder: {path}")
        return VideoFolderReader(path, image_root=root, **options)
    coco_options = ("instances", "refs", "refs_split")
    _no_options(fmt, options, allowed=coco_options if fmt in ("coco", "coco_captions") else ())
    if fmt in ("llava", "llava_onevision"):
        from mmrecipe.io.llava import LlavaReader

        return LlavaReader(path, root)
    if fmt == "internvl_meta":
        from mmrecipe.io.internvl import InternVLMetaReader

        return InternVLMetaReader(path, root)
    if fmt == "sharegpt":
        from mmrecipe.io.sharegpt import ShareGPTReader

        return ShareGPTReader(path, root)
    if fmt == "hf_messages":
        from mmrecipe.io.hf_messages import HFMessagesReader

        return HFMessagesReader(path, root)
    if fmt == "openai":
        from mmrecipe.io.openai_messages import OpenAIReader

        return OpenAIReader(path, root, materialize_dir)
    if fmt == "parquet":
        from mmrecipe.io.parquet import ParquetReader

        return ParquetReader(path, root, materialize_dir)
    if fmt == "webdataset":
        from mmrecipe.io.webdataset import WebDatasetReader

        return WebDatasetReader(path, materialize_dir, root)
    if fmt in ("coco", "coco_captions"):
        from mmrecipe.io.coco import CocoReader

        instances, refs = options.get("instances"), options.get("refs")
        return CocoReader(
            path,
            root,
            Path(instances) if instances else None,
            Path(refs) if refs else None,
            options.get("refs_split"),
            meta_dir=materialize_dir,
        )
    if fmt == "samples":
        from mmrecipe.io.samples import SamplesReader

        return SamplesReader(path, root)
    if fmt == "interleaved":
        from mmrecipe.io.interleaved import InterleavedReader

        return InterleavedReader(path, root)
    raise InputError(f"unknown input format {fmt!r}; known: {', '.join(sorted(FORMATS))}")


def _no_options(fmt: str, options: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(f"the {fmt} reader has no option {', '.join(unknown)}")


_WRITERS = {
    "llava": ("mmrecipe.io.llava", "LlavaWriter"),
    "llava_onevision": ("mmrecipe.io.llava", "LlavaOneVisionWriter"),
    "sharegpt": ("mmrecipe.io.sharegpt", "ShareGPTWriter"),
    "hf_messages": ("mmrecipe.io.hf_messages", "HFMessagesWriter"),
    "openai": ("mmrecipe.io.openai_messages", "OpenAIWriter"),
    "parquet": ("mmrecipe.io.parquet", "ParquetWriter"),
    "webdataset": ("mmrecipe.io.webdataset", "WebDatasetWriter"),
    "coco": ("mmrecipe.io.coco", "CocoWriter"),
    "coco_captions": ("mmrecipe.io.coco", "CocoCaptionsWriter"),
}


def open_writer(
    fmt: str,
    path: Path,
    base_dir: Path | None = None,
    keep_fields: list[str] | None = None,
    options: dict[str, Any] | None = None,
) -> Writer:
    """A writer of ``fmt`` into ``path``; image paths under ``base_dir`` are written relative.

    ``options`` are the format's writer options (``output.options.<fmt>`` plus
    ``assistant_images``); an unknown one is a configuration error.
    """
    if fmt == "samples":
        from mmrecipe.io.samples import SamplesWriter

        return SamplesWriter(path, base_dir, keep_fields)
    if fmt == "interleaved":
        from mmrecipe.io.interleaved import InterleavedWriter

        return InterleavedWriter(path, base_dir, keep_fields)
    if fmt == "edit_triplets":
        from mmrecipe.io.edit_triplets import EditTripletsWriter

        return EditTripletsWriter(path, base_dir, keep_fields)
    if fmt not in _WRITERS:
        raise InputError(
            f"cannot write format {fmt!r}; writable: "
            f"{', '.join(k for k, v in FORMATS.items() if v['write'])}"
        )
    import importlib

    from mmrecipe.io.writing import JsonOut

    module, name = _WRITERS[fmt]
    cls = getattr(importlib.import_module(module), name)
    extra: dict[str, Any] = {}
    if issubclass(cls, JsonOut) and path.suffix in (".json", ".jsonl"):
        extra["array"] = path.suffix == ".json"  # the file's name says its layout
    return cls(path, base_dir, keep_fields, options, **extra)  # type: ignore[no-any-return]


def check_writer_options(fmt: str, options: dict[str, Any]) -> None:
    """Validate a format's writer options before anything runs (``mmrecipe validate``)."""
    if fmt == "samples" or fmt not in _WRITERS:
        return
    import importlib

    module, name = _WRITERS[fmt]
    getattr(importlib.import_module(module), name).check_config(options)
