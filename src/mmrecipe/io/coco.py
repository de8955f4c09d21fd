"""COCO annotations: images with their captions and boxes (needed by LLaVA-Instruct, grounding).

A sample per image: ``fields.captions`` (list of str), ``fields.boxes`` (list of
``{"bbox": [x, y, w, h], "category": name}`` in pixels, COCO's convention) and
``fields.coco_id``. The reader takes a captions file, an instances file, or both
(``options: {instances: path}``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    ImageRefused,
    ImageRoot,
    encodable,
    lone_surrogates,
    portable_path,
    record_error,
    rejected_record,
    resolve_image,
)
from mmrecipe.sample import ImageRef, Sample, stable_id


class CocoReader:
    """One sample per image. A bad entry (an annotation without ``image_id``, a bbox that is
    not four numbers, an image without ``file_name``) is one reject; a file that is not UTF-8
    JSON with an ``images`` list is one reject for the file."""

    def __init__(
        self,
        path: Path,
        image_root: Path | ImageRoot | None = None,
        instances: Path | None = None,
    ) -> None:
        self.paths = [path] + ([instances] if instances else [])
        self.image_root = image_root or path.parent
        self._loaded: _Loaded | None = None

    def _load(self) -> _Loaded:
        if self._loaded is None:
            self._loaded = _Loaded()
            for path in self.paths:
                self._loaded.add_file(path)
        return self._loaded

    def count(self) -> int:
        loaded = self._load()
        return len(loaded.images) + len(loaded.problems)

    def __iter__(self) -> Iterator[Sample]:
        loaded = self._load()
        self._loaded = None  # a second pass re-reads the files
        yield from loaded.problems
        for im in sorted(loaded.images.values(), key=lambda im: str(im["id"])):
            sample = Sample(
                id=stable_id("coco", str(im["id"])),
                fields={"coco_id": im["id"], "source_file": im["file_name"]},
            )
            if loaded.captions.get(im["id"]):
                sample.fields["captions"] = loaded.captions[im["id"]]
            if loaded.boxes.get(im["id"]):
                sample.fields["boxes"] = loaded.boxes[im["id"]]
            try:
                path = resolve_image(im["file_name"], self.image_root)
            except ImageRefused as exc:
                yield sample.reject("read", exc.reason, f"image {im['id']!r}: {exc.detail}")
                continue
            width, height = im.get("width"), im.get("height")
            sample.images = [
                ImageRef(
                    path=path,
                    width=width if isinstance(width, int) else None,
                    height=height if isinstance(height, int) else None,
                )
            ]
            yield sample


class _Loaded:
    """What the annotation files hold, plus a reject for each entry that made no sense."""

    def __init__(self) -> None:
        self.images: dict[Any, dict[str, Any]] = {}
        self.captions: dict[Any, list[str]] = defaultdict(list)
        self.boxes: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        self.problems: list[Sample] = []

    def _problem(self, path: Path, where: str, reason: str, detail: str) -> None:
        self.problems.append(rejected_record(path, where, reason, f"{path.name}: {detail}"))

    def add_file(self, path: Path) -> None:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self._problem(
                path,
                "file",
                "not_utf8",
                f"not UTF-8 (invalid byte at offset {exc.start}); JSON must be UTF-8: "
                "re-encode it (e.g. iconv -f latin1 -t utf-8)",
            )
            return
        except OSError as exc:
            self._problem(path, "file", "unreadable_file", exc.strerror or type(exc).__name__)
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self._problem(path, "file", "malformed_file", f"not valid JSON ({exc.msg})")
            return
        except RecursionError:
            self._problem(path, "file", "malformed_file", "nested too deeply to parse")
            return
        if not isinstance(data, dict) or not isinstance(data.get("images"), list):
            self._problem(path, "file", "malformed_file", "no 'images' list: not COCO annotations")
            return
        check = lone_surrogates(text, data)
        for key in ("categories", "annotations"):
            if data.get(key) is not None and not isinstance(data[key], list):
                self._problem(path, key, "malformed_file", f"{key!r} is not a list")
                data[key] = []
        categories: dict[Any, str] = {}
        for i, c in enumerate(data.get("categories") or []):
            try:
                categories[_key(c["id"])] = str(c.get("name", c["id"]))
            except Exception as exc:
                self._problem(
                    path, f"category:{i}", "malformed_record", f"category {i}: {record_error(exc)}"
                )
        for i, im in enumerate(data["images"]):
            try:
                if check and not encodable(im):
                    raise ValueError("holds a lone surrogate (invalid Unicode)")
                image_id = _key(im["id"])
                if not isinstance(im["file_name"], str):
                    raise TypeError("file_name is not a string")
            except Exception as exc:
                self._problem(
                    path, f"image:{i}", "malformed_record", f"image {i}: {record_error(exc)}"
                )
                continue
            self.images.setdefault(image_id, im)
        for i, ann in enumerate(data.get("annotations") or []):
            try:
                self._annotation(ann, categories, check and not encodable(ann))
            except Exception as exc:
                self._problem(
                    path,
                    f"annotation:{i}",
                    "malformed_record",
                    f"annotation {i}: {record_error(exc)}",
                )

    def _annotation(self, ann: Any, categories: dict[Any, str], surrogates: bool) -> None:
        if surrogates:
            raise ValueError("holds a lone surrogate (invalid Unicode)")
        image_id = _key(ann["image_id"])
        if image_id not in self.images:
            raise ValueError(f"image_id {image_id!r} names no image")
        if "caption" in ann:
            if not isinstance(ann["caption"], str):
                raise TypeError("caption is not a string")
            self.captions[image_id].append(ann["caption"].strip())
        if "bbox" in ann:
            bbox = ann["bbox"]
            if not isinstance(bbox, list) or len(bbox) != 4:
                raise ValueError(f"bbox is not a list of 4 numbers: {str(bbox)[:80]!r}")
            values = [float(v) for v in bbox if isinstance(v, int | float)]
            if len(values) != 4 or not all(math.isfinite(v) for v in values):
                raise ValueError(f"bbox is not 4 finite numbers: {str(bbox)[:80]!r}")
            category_id = ann.get("category_id")
            name = categories.get(category_id) if isinstance(category_id, int | str) else None
            self.boxes[image_id].append(
                {"bbox": values, "category": name if name is not None else str(category_id)}
            )


def _key(value: Any) -> int | str:
    """An id usable as a key: ints and strings only (a list or dict id is a malformed entry)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"id {str(value)[:40]!r} is not an int or a string")
    return value


class CocoWriter:
    """Collects samples and writes one COCO JSON (captions and boxes) at close."""

    suffix = ".json"

    def __init__(
        self, path: Path, base_dir: Path | None = None, keep_fields: list[str] | None = None
    ) -> None:
        self.path = path
        self.base_dir = base_dir
        self._images: list[dict[str, Any]] = []
        self._annotations: list[dict[str, Any]] = []
        self._categories: dict[str, int] = {}

    def write(self, sample: Sample) -> None:
        """Add one sample, or nothing at all when it cannot be converted (then raise)."""
        n_images, n_annotations = len(self._images), len(self._annotations)
        categories = dict(self._categories)
        try:
            self._add(sample)
        except Exception:
            del self._images[n_images:]
            del self._annotations[n_annotations:]
            self._categories = categories
            raise

    def _add(self, sample: Sample) -> None:
        if not sample.images:
            return
        ref = sample.images[0]
        image_id = len(self._images) + 1
        self._images.append(
            {
                "id": image_id,
                "file_name": portable_path(ref.path, self.base_dir),
                "width": ref.width,
                "height": ref.height,
                "mmrecipe_id": sample.id,
            }
        )
        captions = list(sample.fields.get("captions", []))
        if "caption" in sample.fields:
            captions.append(sample.fields["caption"])
        for caption in captions:
            self._annotations.append(
                {"id": len(self._annotations) + 1, "image_id": image_id, "caption": caption}
            )
        for box in sample.fields.get("boxes", []):
            cat = self._categories.setdefault(
                box.get("category", "object"), len(self._categories) + 1
            )
            x, y, w, h = box["bbox"]
            self._annotations.append(
                {
                    "id": len(self._annotations) + 1,
                    "image_id": image_id,
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                    "category_id": cat,
                }
            )

    def close(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "images": self._images,
            "annotations": self._annotations,
            "categories": [{"id": i, "name": n} for n, i in self._categories.items()],
        }
        self.path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
