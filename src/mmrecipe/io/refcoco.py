"""RefCOCO / RefCOCO+ / RefCOCOg referring expressions on top of COCO instances.

The refs list (the ``refs(unc).p`` / ``refs(umd).p`` content as JSON: ``[{"ref_id",
"ann_id", "image_id", "split", "sentences": [{"sent": ...}], ...}]``) names, for an instance
box of the COCO file, the phrases people wrote to single it out ("the man in the red shirt on
the left"). The pickles are not read: unpickling runs code a file chooses, and a dataset is
untrusted input. Convert once where you trust the file, e.g.
``python -c "import pickle, json, sys; json.dump(pickle.load(open(sys.argv[1], 'rb')),
open(sys.argv[2], 'w'))" 'refs(unc).p' refs.json``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from mmrecipe.errors import InputError
from mmrecipe.io.base import record_error, rejected_record
from mmrecipe.sample import Sample

#: the refs file is read whole: RefCOCOg's is ~40 MB as JSON
MAX_REFS_BYTES = 512 * 1024 * 1024


def load_refs(
    path: Path, split: str | None
) -> tuple[dict[Any, list[dict[str, Any]]], list[Sample]]:
    """Refs by image id (only ``split`` when given), and a reject per malformed ref."""
    if path.suffix.lower() in (".p", ".pkl", ".pickle"):
        raise InputError(
            f"{path.name}: RefCOCO's pickles are not read (unpickling runs code); convert it to "
            "JSON once where you trust it (see mmrecipe.io.refcoco) and pass refs: refs.json"
        )
    if not path.is_file() or path.stat().st_size > MAX_REFS_BYTES:
        raise InputError(f"refs file {path} is missing or larger than {MAX_REFS_BYTES} bytes")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"refs file {path.name} is not UTF-8 JSON: {record_error(exc)}") from None
    if not isinstance(data, list):
        raise InputError(f"refs file {path.name} is not a JSON list of refs")
    by_image: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    problems: list[Sample] = []
    for i, ref in enumerate(data):
        try:
            sentences = [str(s["sent"]).strip() for s in ref["sentences"] if str(s["sent"]).strip()]
            if not sentences:
                raise ValueError("no sentence")
            item = {
                "ref_id": ref["ref_id"],
                "ann_id": ref["ann_id"],
                "split": str(ref.get("split", "")),
                "expressions": sentences,
            }
            image_id = ref["image_id"]
            if isinstance(image_id, bool) or not isinstance(image_id, int | str):
                raise TypeError("image_id is not an int or a string")
        except Exception as exc:
            problems.append(
                rejected_record(
                    path, f"ref:{i}", "malformed_record", f"ref {i}: {record_error(exc)}"
                )
            )
            continue
        if split is None or item["split"] == split:
            by_image[image_id].append(item)
    return by_image, problems


def referring_items(
    refs: list[dict[str, Any]], boxes: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each ref as a grounding item (``bbox`` of its instance, ``category``: its first
    expression, ``expressions``: all, ``object``: the instance's COCO category), and the
    problems (a ref naming an instance the COCO file does not hold)."""
    by_ann = {box.get("id"): box for box in boxes}
    items, problems = [], []
    for ref in refs:
        box = by_ann.get(ref["ann_id"])
        if box is None:
            problems.append(
                f"ref {ref['ref_id']!r} names annotation {ref['ann_id']!r}, not in the instances"
            )
            continue
        items.append(
            {
                "bbox": box["bbox"],
                "category": ref["expressions"][0],
                "expressions": ref["expressions"],
                "object": box.get("category"),
                "ref_id": ref["ref_id"],
                "split": ref["split"],
            }
        )
    return items, problems
