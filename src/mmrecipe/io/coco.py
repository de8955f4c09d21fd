"""COCO annotations: images with their captions and boxes (needed by LLaVA-Instruct, grounding).

A sample per image: ``fields.captions`` (list of str), ``fields.boxes`` (list of
``{"bbox": [x, y, w, h], "category": name}`` in pixels, COCO's convention) and
``fields.coco_id``. The reader takes a captions file, an instances file, or both
(``options: {instances: path}``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.errors import InputError
from mmrecipe.io.base import portable_path, resolve_image
from mmrecipe.sample import ImageRef, Sample, stable_id


class CocoReader:
    def __init__(
        self, path: Path, image_root: Path | None = None, instances: Path | None = None
    ) -> None:
        self.paths = [path] + ([instances] if instances else [])
        self.image_root = image_root or path.parent

    def _load(self) -> tuple[list[dict[str, Any]], dict[Any, list[str]], dict[Any, list[dict]]]:
        images: dict[Any, dict[str, Any]] = {}
        captions: dict[Any, list[str]] = defaultdict(list)
        boxes: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for path in self.paths:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(f"cannot read COCO annotations {path}: {exc}") from None
            if not isinstance(data, dict) or "images" not in data:
                raise InputError(f"{path} has no 'images' list: not COCO annotations")
            categories = {c["id"]: c.get("name", str(c["id"])) for c in data.get("categories", [])}
            for im in data["images"]:
                images.setdefault(im["id"], im)
            for ann in data.get("annotations", []):
                if "caption" in ann:
                    captions[ann["image_id"]].append(ann["caption"].strip())
                if "bbox" in ann:
                    boxes[ann["image_id"]].append(
                        {
                            "bbox": [float(v) for v in ann["bbox"]],
                            "category": categories.get(
                                ann.get("category_id"), str(ann.get("category_id"))
                            ),
                        }
                    )
        ordered = sorted(images.values(), key=lambda im: str(im["id"]))
        return ordered, captions, boxes

    def count(self) -> int:
        return len(self._load()[0])

    def __iter__(self) -> Iterator[Sample]:
        images, captions, boxes = self._load()
        for im in images:
            fields: dict[str, Any] = {"coco_id": im["id"], "source_file": im["file_name"]}
            if captions.get(im["id"]):
                fields["captions"] = captions[im["id"]]
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
