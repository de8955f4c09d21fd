"""COCO annotations, as ``pycocotools.coco.COCO`` indexes them.

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
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.errors import InputError
from mmrecipe.io.base import resolve_image
from mmrecipe.io.layout import LeftOut
from mmrecipe.io.writing import FormatWriter
from mmrecipe.sample import ImageRef, Sample, stable_id

_IMAGE_OWN = ("id", "file_name", "width", "height")
_BOX_KEYS = ("id", "area", "iscrowd", "segmentation")


class CocoReader:
    def __init__(
        self, path: Path, image_root: Path | None = None, instances: Path | None = None
    ) -> None:
        self.paths = [path] + ([instances] if instances else [])
        self.image_root = image_root or path.parent

    def _load(self) -> tuple[list[dict[str, Any]], dict[Any, list[dict]], dict[Any, list[dict]]]:
        images: dict[Any, dict[str, Any]] = {}
        captions: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        boxes: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for path in self.paths:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(f"cannot read COCO annotations {path}: {exc}") from None
            if not isinstance(data, dict) or "images" not in data:
                raise InputError(f"{path} has no 'images' list: not COCO annotations")
            categories = {c["id"]: c for c in data.get("categories", []) if isinstance(c, dict)}
            for im in data["images"]:
                images.setdefault(im["id"], im)
            for ann in data.get("annotations", []):
                if "caption" in ann:
                    captions[ann["image_id"]].append(ann)
                if "bbox" in ann:
                    cat = categories.get(ann.get("category_id"), {})
                    box = {
                        "bbox": [float(v) for v in ann["bbox"]],
                        "category": cat.get("name", str(ann.get("category_id"))),
                        "category_id": ann.get("category_id"),
                    }
                    if "supercategory" in cat:
                        box["supercategory"] = cat["supercategory"]
                    box.update({k: ann[k] for k in _BOX_KEYS if k in ann})
                    boxes[ann["image_id"]].append(box)
        ordered = sorted(images.values(), key=lambda im: str(im["id"]))
        return ordered, captions, boxes

    def count(self) -> int:
        return len(self._load()[0])

    def __iter__(self) -> Iterator[Sample]:
        images, captions, boxes = self._load()
        for im in images:
            fields: dict[str, Any] = {"coco_id": im["id"], "source_file": im["file_name"]}
            extra = {k: v for k, v in im.items() if k not in _IMAGE_OWN}
            if extra:
                fields["coco_image"] = extra
            if captions.get(im["id"]):
                fields["captions"] = [str(a["caption"]).strip() for a in captions[im["id"]]]
                fields["caption_ids"] = [a.get("id") for a in captions[im["id"]]]
            if boxes.get(im["id"]):
                fields["boxes"] = boxes[im["id"]]
            yield Sample(
                id=stable_id("coco", str(im["id"])),
                images=[
                    ImageRef(
                        path=resolve_image(im["file_name"], self.image_root),
                        width=im.get("width"),
                        height=im.get("height"),
                    )
                ],
                fields=fields,
            )


def derived_id(*parts: str) -> int:
    """A deterministic id below 2**52 (exact in JSON readers that use doubles)."""
    return int(hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:13], 16)


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

    def emit(self, record: Any) -> None:
        image, annotations = record
        self._images.append(image)
        self._annotations.extend(annotations)

    def record(self, sample: Sample) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not sample.images:
            raise LeftOut("no_image")
        if len(sample.images) > 1:
            self.lost["extra_images"] += len(sample.images) - 1
        ref = sample.images[0]
        file_name = self.image_path(ref)  # before any id is taken: it may leave the sample out
        image_id = sample.fields.get("coco_id")
        if not isinstance(image_id, int) or image_id in self._image_ids:
            image_id = derived_id("image", sample.id)
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
                    else derived_id("caption", sample.id, str(i)),
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
            else derived_id("box", sample.id, str(index)),
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
        data: dict[str, Any] = {"images": self._images, "annotations": self._annotations}
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
