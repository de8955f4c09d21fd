"""COCO annotations, as ``pycocotools.coco.COCO`` indexes them.

The reader makes one reject of each entry that makes no sense (an annotation without
``image_id``, a bbox that is not four numbers, an image without ``file_name``) and of a file
that is not UTF-8 JSON with an ``images`` list.

A sample per image: ``fields.captions`` (list of str) with ``fields.caption_ids``,
``fields.boxes`` (``{"bbox": [x, y, w, h], "category", "category_id", "id", "area",
"iscrowd", "segmentation"?, "supercategory"?}`` in pixels), ``fields.coco_id`` and
``fields.coco_image`` (the image entry's other keys: ``coco_url``, ``license``, ...). The reader
takes a captions file, an instances file, or both (``options: {instances: path}``).

Writers: ``coco`` writes an instances file (images, box/segmentation annotations,
``categories`` always present, since ``COCO.createIndex`` reads ``ann["category_id"]`` of every
annotation once a ``categories`` key exists); ``coco_captions`` writes a captions file (no
``categories``, as ``captions_train2017.json``). Captions in ``coco`` and boxes in
``coco_captions`` are counted as lost. Ids are unique across shards: the source's own ids
where a sample has them (a round trip keeps 397133 as 397133, category 18 as 18), else
deterministic ids from the sample id.

What belongs to the dataset, not to an image (every ``categories`` entry, those without
annotations included, and the top-level ``info`` and ``licenses``) is written once by the
reader into ``coco-<sha>.json`` beside the images it materializes (the run's
``images/input/``) and named by each sample's ``fields.coco_meta``; the writers put it back in
every shard file (a category list pycocotools' ``COCOeval`` and ``getCatIds`` see whole).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    ImageRefused,
    ImageRoot,
    encodable,
    lone_surrogates,
    record_error,
    rejected_record,
    resolve_image,
)
from mmrecipe.io.files import open_regular
from mmrecipe.io.layout import LeftOut
from mmrecipe.io.writing import FormatWriter
from mmrecipe.sample import ImageRef, Sample, stable_id

_IMAGE_OWN = ("id", "file_name", "width", "height")
_BOX_KEYS = ("id", "area", "iscrowd", "segmentation")


class CocoReader:
    """One sample per image. A bad entry (an annotation without ``image_id``, a bbox that is
    not four numbers, an image without ``file_name``) is one reject; a file that is not UTF-8
    JSON with an ``images`` list is one reject for the file."""

    def __init__(
        self,
        path: Path,
        image_root: Path | ImageRoot | None = None,
        instances: Path | None = None,
        refs: Path | None = None,
        refs_split: str | None = None,
        meta_dir: Path | None = None,
    ) -> None:
        self.paths = [path] + ([instances] if instances else [])
        #: RefCOCO/+/g expressions (``mmrecipe.io.refcoco``): only images with refs are read
        self.refs = refs
        self.refs_split = refs_split
        self.image_root = image_root or path.parent
        self.meta_dir = meta_dir
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
        refs: dict[Any, list[dict[str, Any]]] | None = None
        if self.refs is not None:
            from mmrecipe.io.refcoco import load_refs

            refs, problems = load_refs(self.refs, self.refs_split)
            yield from problems
        meta = self._write_meta(loaded.dataset)
        for im in sorted(loaded.images.values(), key=lambda im: str(im["id"])):
            if refs is not None and not refs.get(im["id"]):
                continue
            sample = Sample(
                id=stable_id("coco", str(im["id"])),
                fields={"coco_id": im["id"], "source_file": im["file_name"]},
            )
            if meta:
                sample.fields["coco_meta"] = meta
            extra = {k: v for k, v in im.items() if k not in _IMAGE_OWN}
            if extra:
                sample.fields["coco_image"] = extra
            if loaded.captions.get(im["id"]):
                sample.fields["captions"] = [c for _, c in loaded.captions[im["id"]]]
                sample.fields["caption_ids"] = [i for i, _ in loaded.captions[im["id"]]]
            if loaded.boxes.get(im["id"]):
                sample.fields["boxes"] = loaded.boxes[im["id"]]
            if refs is not None:
                from mmrecipe.io.refcoco import referring_items

                items, bad = referring_items(refs[im["id"]], loaded.boxes.get(im["id"], []))
                if bad:
                    yield sample.reject("read", "malformed_record", "; ".join(bad)[:300])
                    continue
                sample.fields["refs"] = items
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

    def _write_meta(self, dataset: dict[str, Any]) -> str | None:
        """The dataset-level parts, once, in ``meta_dir/coco-<sha>.json``; its path."""
        if self.meta_dir is None or not any(dataset.values()):
            return None
        text = json.dumps(dataset, ensure_ascii=False, sort_keys=True)
        path = self.meta_dir / f"coco-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
        if not path.exists():
            self.meta_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        return str(path)


_META_NAME = re.compile(r"coco-[0-9a-f]{16}\.json")
_META_MAX_BYTES = 64 << 20


def read_meta(ref: Any, base_dir: Path | None) -> dict[str, Any]:
    """A ``fields.coco_meta`` file written by the reader, or ``{}``: only a file of that name,
    inside the run (``base_dir``), a capped read (a samples file is input too)."""
    if not isinstance(ref, str) or not _META_NAME.fullmatch(Path(ref).name):
        return {}
    path = Path(ref)
    try:
        if base_dir is not None and not path.resolve().is_relative_to(base_dir.resolve()):
            return {}
        if not path.is_file() or path.stat().st_size > _META_MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _Loaded:
    """What the annotation files hold, plus a reject for each entry that made no sense."""

    def __init__(self) -> None:
        self.images: dict[Any, dict[str, Any]] = {}
        self.captions: dict[Any, list[tuple[Any, str]]] = defaultdict(list)
        self.boxes: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        self.problems: list[Sample] = []
        #: what belongs to the dataset: every category, ``info``, ``licenses``
        self.dataset: dict[str, Any] = {"categories": [], "info": None, "licenses": []}

    def _problem(self, path: Path, where: str, reason: str, detail: str) -> None:
        self.problems.append(rejected_record(path, where, reason, f"{path.name}: {detail}"))

    def add_file(self, path: Path) -> None:
        try:
            with open_regular(path) as fh:
                text = fh.read().decode("utf-8-sig")
        except ImageRefused as exc:
            self._problem(path, "file", exc.reason, exc.detail)
            return
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
        if isinstance(data.get("info"), dict) and self.dataset["info"] is None:
            self.dataset["info"] = data["info"]
        if isinstance(data.get("licenses"), list):
            known = {json.dumps(x, sort_keys=True) for x in self.dataset["licenses"]}
            for lic in data["licenses"]:
                if isinstance(lic, dict) and json.dumps(lic, sort_keys=True) not in known:
                    self.dataset["licenses"].append(lic)
        categories: dict[Any, dict[str, Any]] = {}
        for i, c in enumerate(data.get("categories") or []):
            try:
                categories[_key(c["id"])] = {**c, "name": str(c.get("name", c["id"]))}
                if not any(x["id"] == c["id"] for x in self.dataset["categories"]):
                    self.dataset["categories"].append(categories[_key(c["id"])])
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

    def _annotation(
        self, ann: Any, categories: dict[Any, dict[str, Any]], surrogates: bool
    ) -> None:
        if surrogates:
            raise ValueError("holds a lone surrogate (invalid Unicode)")
        image_id = _key(ann["image_id"])
        if image_id not in self.images:
            raise ValueError(f"image_id {image_id!r} names no image")
        if "caption" in ann:
            if not isinstance(ann["caption"], str):
                raise TypeError("caption is not a string")
            self.captions[image_id].append((ann.get("id"), ann["caption"].strip()))
        if "bbox" in ann:
            bbox = ann["bbox"]
            if not isinstance(bbox, list) or len(bbox) != 4:
                raise ValueError(f"bbox is not a list of 4 numbers: {str(bbox)[:80]!r}")
            values = [float(v) for v in bbox if isinstance(v, int | float)]
            if len(values) != 4 or not all(math.isfinite(v) for v in values):
                raise ValueError(f"bbox is not 4 finite numbers: {str(bbox)[:80]!r}")
            category_id = ann.get("category_id")
            cat = categories.get(category_id, {}) if isinstance(category_id, int | str) else {}
            box: dict[str, Any] = {
                "bbox": values,
                "category": cat.get("name", str(category_id)),
                "category_id": category_id,
            }
            if "supercategory" in cat:
                box["supercategory"] = cat["supercategory"]
            box.update({k: ann[k] for k in _BOX_KEYS if k in ann})
            self.boxes[image_id].append(box)


def _key(value: Any) -> int | str:
    """An id usable as a key: ints and strings only (a list or dict id is a malformed entry)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"id {str(value)[:40]!r} is not an int or a string")
    return value


def derived_id(*parts: str) -> int:
    """A deterministic id below 2**52 (exact in JSON readers that use doubles)."""
    return int(hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:13], 16)


def _unused(taken: set[int], *parts: str) -> int:
    """:func:`derived_id`, made unique among ``taken`` (two samples with one id, from a
    source that repeats ids, must not become one image: ``COCO()`` keeps one per id)."""
    value, n = derived_id(*parts), 0
    while value in taken:
        n += 1
        value = derived_id(*parts, str(n))
    return value


class CocoWriter(FormatWriter):
    """Collects one shard's images and writes one COCO instances JSON at close."""

    suffix = ".json"
    kind = "instances"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._images: list[dict[str, Any]] = []
        self._annotations: list[dict[str, Any]] = []
        self._categories: dict[int, dict[str, Any]] = {}
        self._image_ids: set[int] = set()
        self._ann_ids: set[int] = set()
        self._meta_refs: set[str] = set()

    def write(self, sample: Sample) -> None:
        """Add one sample, or nothing at all when it cannot be converted (then raise)."""
        categories = {k: dict(v) for k, v in self._categories.items()}
        image_ids = set(self._image_ids)
        try:
            super().write(sample)
        except Exception:
            self._categories, self._image_ids = categories, image_ids
            raise

    def emit(self, record: Any) -> None:
        image, annotations = record
        self._images.append(image)
        self._annotations.extend(annotations)
        self._ann_ids.update(a["id"] for a in annotations)

    def record(self, sample: Sample) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not sample.images:
            raise LeftOut("no_image")
        if len(sample.images) > 1:
            self.lost["extra_images"] += len(sample.images) - 1
        ref = sample.images[0]
        file_name = self.image_path(ref)  # before any id is taken: it may leave the sample out
        image_id = sample.fields.get("coco_id")
        if not isinstance(image_id, int) or image_id in self._image_ids:
            image_id = _unused(self._image_ids, "image", sample.id)
        self._image_ids.add(image_id)
        width, height = ref.width, ref.height
        if width is None or height is None:
            width, height = _size(ref.path)
        image = {
            "id": image_id,
            "file_name": file_name,
            "width": width,
            "height": height,
            **(sample.fields.get("coco_image") or {}),
            "mmrecipe_id": sample.id,
        }
        captions = self._captions(sample)
        boxes = list(sample.fields.get("boxes") or [])
        if isinstance(sample.fields.get("coco_meta"), str):
            self._meta_refs.add(sample.fields["coco_meta"])
        if self.kind == "instances":
            if captions:
                self.lost["captions"] += len(captions)
            return image, [self._box(sample, image_id, i, b) for i, b in enumerate(boxes)]
        if boxes:
            self.lost["boxes"] += len(boxes)
        ids = list(sample.fields.get("caption_ids") or [])
        anns = []
        for i, caption in enumerate(captions):
            ann_id = ids[i] if i < len(ids) and isinstance(ids[i], int) else None
            anns.append(
                {
                    "id": ann_id
                    if ann_id is not None
                    else _unused(self._ann_ids, "caption", sample.id, str(i)),
                    "image_id": image_id,
                    "caption": caption,
                }
            )
        return image, anns

    @staticmethod
    def _captions(sample: Sample) -> list[str]:
        captions = [str(c) for c in sample.fields.get("captions") or []]
        if isinstance(sample.fields.get("caption"), str):
            captions.append(sample.fields["caption"])
        return captions

    def _box(self, sample: Sample, image_id: int, index: int, box: dict[str, Any]) -> dict:
        name = str(box.get("category", "object"))
        cat_id = box.get("category_id")
        if not isinstance(cat_id, int):
            cat_id = derived_id("category", name) % 1_000_000_000
        cat = self._categories.setdefault(cat_id, {"id": cat_id, "name": name})
        if "supercategory" in box:
            cat.setdefault("supercategory", box["supercategory"])
        x, y, w, h = (float(v) for v in box["bbox"])
        ann: dict[str, Any] = {
            "id": box["id"]
            if isinstance(box.get("id"), int)
            else _unused(self._ann_ids, "box", sample.id, str(index)),
            "image_id": image_id,
            "category_id": cat_id,
            "bbox": [x, y, w, h],
            "area": box.get("area", w * h),
            "iscrowd": box.get("iscrowd", 0),
        }
        if "segmentation" in box:
            ann["segmentation"] = box["segmentation"]
        return ann

    def close(self) -> None:
        data: dict[str, Any] = {}
        licenses: list[Any] = []
        for ref in sorted(self._meta_refs):
            meta = read_meta(ref, self.base_dir)
            if isinstance(meta.get("info"), dict):
                data.setdefault("info", meta["info"])
            licenses += [x for x in meta.get("licenses") or [] if x not in licenses]
            for cat in meta.get("categories") or []:
                if isinstance(cat, dict) and isinstance(cat.get("id"), int):
                    self._categories[cat["id"]] = {**cat, **self._categories.get(cat["id"], {})}
        if licenses:
            data["licenses"] = licenses
        data.update({"images": self._images, "annotations": self._annotations})
        if self.kind == "instances":
            data["categories"] = sorted(self._categories.values(), key=lambda c: c["id"])
        self.path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


class CocoCaptionsWriter(CocoWriter):
    """A COCO captions file (``captions_*.json`` layout: no categories)."""

    kind = "captions"


def _size(path: str) -> tuple[int | None, int | None]:
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.width, im.height
    except Exception:
        return None, None
