"""Visual Genome (Krishna et al. 2017) annotations: what SVIT gave text-only GPT-4 beside COCO.

``--input`` is the folder holding VG's JSON files: ``image_data.json`` (required: ids, sizes,
urls) and any of ``region_descriptions.json``, ``objects.json``, ``attributes.json`` and
``relationships.json``. One sample per image, its file found from the url's last two parts
(``VG_100K_2/1.jpg``) under the image root (``input.image_root``; default the folder). Fields,
in the shapes ``annotation_context`` renders:

- ``regions``: ``[{"bbox": [x, y, w, h], "category": phrase}]`` (region descriptions)
- ``boxes``: ``[{"bbox", "category": "white fluffy dog", "name", "attributes"}]`` (objects,
  their attributes folded into the name they are shown under)
- ``relations``: ``["man | wearing | hat", ...]`` (subject, predicate, object)
- ``vg_id``, ``coco_id`` where VG knows it.

Files are parsed whole (VG's largest, relationships.json, is ~0.7 GB): a file larger than
``max_file_bytes`` is refused in one line. A malformed entry, or malformed items in an entry
(a region, object or relationship; the others are kept), is one reject; an entry for an
image ``image_data.json`` does not list is one reject too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mmrecipe.errors import InputError
from mmrecipe.io.base import ImageRefused, ImageRoot, record_error, rejected_record, resolve_image
from mmrecipe.sample import ImageRef, Sample, stable_id

PARTS = ("region_descriptions", "objects", "attributes", "relationships")
MAX_FILE_BYTES = 4 * 1024**3


def _name(obj: dict[str, Any]) -> str:
    names = obj.get("names") or ([obj["name"]] if "name" in obj else [])
    if not names or not isinstance(names[0], str) or not names[0].strip():
        raise ValueError("an object without a name")
    return " ".join(names[0].split())


def _bbox(obj: dict[str, Any]) -> list[float]:
    values = [
        obj["x"],
        obj["y"],
        obj["w" if "w" in obj else "width"],
        obj["h" if "h" in obj else "height"],
    ]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError("a box that is not four numbers")
    return [float(v) for v in values]


class VisualGenomeReader:
    """One sample per image of ``image_data.json``, with its regions, objects (+ attributes)
    and relationships."""

    def __init__(
        self,
        folder: Path,
        image_root: Path | ImageRoot | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        if not folder.is_dir() or not (folder / "image_data.json").is_file():
            raise InputError(f"visual_genome input is VG's folder with image_data.json: {folder}")
        self.folder = folder
        self.image_root = image_root or folder
        self.max_file_bytes = max_file_bytes

    def _read(self, name: str) -> Any:
        path = self.folder / f"{name}.json"
        if not path.is_file():
            return None
        if path.stat().st_size > self.max_file_bytes:
            raise InputError(f"{path.name} is larger than max_file_bytes ({self.max_file_bytes})")
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"{path.name} is not UTF-8 JSON: {record_error(exc)}") from None
        if not isinstance(data, list):
            raise InputError(f"{path.name} is not a JSON list")
        return data

    def count(self) -> int:
        return len(self._read("image_data") or [])

    def __iter__(self) -> Iterator[Sample]:
        images: dict[int, dict[str, Any]] = {}
        problems: list[Sample] = []
        for i, im in enumerate(self._read("image_data") or []):
            try:
                image_id = im.get("image_id", im.get("id"))
                if not isinstance(image_id, int) or isinstance(image_id, bool):
                    raise TypeError("image_id is not an int")
                images[image_id] = im
            except Exception as exc:
                problems.append(self._problem("image_data", i, exc))
        fields: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for part in PARTS:
            for i, entry in enumerate(self._read(part) or []):
                try:
                    image_id = entry.get("image_id", entry.get("id"))
                    if image_id not in images:
                        raise ValueError(f"image {image_id!r} is not in image_data.json")
                    bad = self._add(part, entry, fields[image_id])
                except Exception as exc:
                    problems.append(self._problem(part, i, exc))
                    continue
                if bad:
                    problems.append(self._problem(part, i, ValueError("; ".join(bad)[:300])))
        yield from problems
        for image_id in sorted(images):
            yield self._sample(image_id, images[image_id], fields.get(image_id, {}))

    def _problem(self, part: str, index: int, exc: Exception) -> Sample:
        path = self.folder / f"{part}.json"
        return rejected_record(
            path, f"{part}:{index}", "malformed_record", f"{part} {index}: {record_error(exc)}"
        )

    @staticmethod
    def _add(part: str, entry: dict[str, Any], out: dict[str, list[Any]]) -> list[str]:
        """Add one image's entry; a malformed item (a region, object or relationship) is left
        out and named in the returned problems, the others are kept."""
        problems: list[str] = []
        key = {"region_descriptions": "regions", "objects": "objects"}.get(part, part)
        for j, item in enumerate(entry[key]):
            try:
                VisualGenomeReader._add_item(part, item, out)
            except Exception as exc:
                problems.append(f"item {j}: {record_error(exc)}")
        return problems

    @staticmethod
    def _add_item(part: str, item: dict[str, Any], out: dict[str, list[Any]]) -> None:
        if part == "region_descriptions":
            phrase = " ".join(str(item["phrase"]).split())
            if phrase:
                out["regions"].append({"bbox": _bbox(item), "category": phrase})
        elif part in ("objects", "attributes"):  # attributes.json: objects with attributes
            name, bbox = _name(item), _bbox(item)
            attrs = [
                " ".join(a.split()) for a in item.get("attributes") or [] if isinstance(a, str)
            ]
            key = item.get("object_id")
            same = [b for b in out["boxes"] if key is not None and b.get("object_id") == key]
            if same:  # the same object from objects.json: add its attributes
                box = same[0]
                box["attributes"] = list(dict.fromkeys([*box["attributes"], *attrs]))
                box["category"] = " ".join([*box["attributes"], box["name"]])
                return
            out["boxes"].append(
                {
                    "bbox": bbox,
                    "category": " ".join([*attrs, name]),
                    "name": name,
                    "attributes": attrs,
                    "object_id": key,
                }
            )
        else:
            predicate = " ".join(str(item["predicate"]).split()).lower()
            subject, obj = _name(item["subject"]), _name(item["object"])
            if predicate:
                out["relations"].append(f"{subject} | {predicate} | {obj}")

    def _sample(self, image_id: int, im: dict[str, Any], found: dict[str, list[Any]]) -> Sample:
        sample = Sample(id=stable_id("vg", str(image_id)), fields={"vg_id": image_id})
        if isinstance(im.get("coco_id"), int):
            sample.fields["coco_id"] = im["coco_id"]
        for key in ("regions", "boxes", "relations"):
            if found.get(key):
                sample.fields[key] = found[key]
        url = str(im.get("url") or "")
        name = "/".join(urlparse(url).path.split("/")[-2:]) if url else f"{image_id}.jpg"
        try:
            path = resolve_image(name, self.image_root)
        except ImageRefused as exc:
            return sample.reject("read", exc.reason, f"image {image_id}: {exc.detail}")
        width, height = im.get("width"), im.get("height")
        sample.images = [
            ImageRef(
                path=path,
                width=width if isinstance(width, int) else None,
                height=height if isinstance(height, int) else None,
            )
        ]
        return sample
