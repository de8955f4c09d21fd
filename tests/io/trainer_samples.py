"""Samples of every shape trainers disagree on, with real images on disk."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mmrecipe.io import open_writer
from mmrecipe.sample import ImageRef, Sample


def make_image(path: Path, seed: int, size: tuple[int, int] = (30, 24)) -> Path:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def sha(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_samples(root: Path) -> list[Sample]:
    """single image with a system turn; two images; an image in the answer; text only; an
    empty conversation; an image-only user turn before its question (two user turns)."""
    img = [ImageRef(path=str(make_image(root / "images" / f"i{k}.png", k))) for k in range(6)]
    return [
        Sample(
            id="single",
            images=[img[0]],
            messages=[
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "<image>\nWhat is shown?"},
                {"role": "assistant", "content": "Noise, «unicode» 你好."},
                {"role": "user", "content": "And then?"},
                {"role": "assistant", "content": "More noise."},
            ],
            fields={"domain": "chart", "year": 2006, "ground_truth": {"secret": 1}},
        ),
        Sample(
            id="multi",
            images=[img[1], img[2]],
            messages=[
                {"role": "user", "content": "<image>\n<image>\nCompare the two."},
                {"role": "assistant", "content": "The second is taller."},
            ],
            fields={"domain": "photo", "year": "2006", "ground_truth": {"secret": 2}},
        ),
        Sample(
            id="interleaved",
            images=[img[3], img[4]],
            messages=[
                {"role": "user", "content": "<image>\nSolve the maze."},
                {"role": "assistant", "content": "Here is the path:\n<image>\nGo right."},
            ],
            fields={"domain": "maze"},
        ),
        Sample(
            id="text_only",
            messages=[
                {"role": "user", "content": "What is 2+2?"},
                {"role": "assistant", "content": "4"},
            ],
        ),
        Sample(id="empty", images=[img[5]]),
        Sample(
            id="split_turn",
            images=[img[5]],
            messages=[
                {"role": "user", "content": "<image>"},
                {"role": "user", "content": "Describe it."},
                {"role": "assistant", "content": "Colourful."},
            ],
        ),
    ]


def write(
    fmt: str,
    samples: list[Sample],
    path: Path,
    base_dir: Path,
    keep_fields: list[str] | None = None,
    **options: Any,
) -> Any:
    """Write ``samples`` as ``fmt`` and return the writer (its counters)."""
    writer = open_writer(fmt, path, base_dir=base_dir, keep_fields=keep_fields, options=options)
    for s in samples:
        writer.write(s)
    writer.close()
    return writer


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def json_types(value: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every path in a record with the JSON type found there (lists merged over items)."""
    out: dict[str, set[str]] = {}

    def walk(v: Any, p: str) -> None:
        if v is None:
            return
        kind = {dict: "object", list: "array", str: "string", bool: "bool"}.get(type(v), "number")
        out.setdefault(p, set()).add(kind)
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{p}.{k}")
        elif isinstance(v, list):
            for x in v:
                walk(x, f"{p}[]")

    walk(value, prefix)
    return out


def assert_one_type_per_field(records: list[dict[str, Any]]) -> None:
    """HF ``datasets`` infers one type per column: no field may be text here, a number there."""
    merged: dict[str, set[str]] = {}
    for r in records:
        for path, kinds in json_types(r).items():
            merged.setdefault(path, set()).update(kinds)
    mixed = {p: k for p, k in merged.items() if len(k) > 1}
    assert not mixed, mixed
