"""Seeds, masks and produced images: what generate_image, edit_image and edit_verify share."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mmrecipe.experts.geometry import rle_decode
from mmrecipe.sample import ImageRef, Sample


def sample_seed(seed: int, sample_id: str, step: str) -> int:
    """The seed of one sample's image: fixed by the recipe's seed, the sample and the step, so
    a rerun (or a resumed shard) draws the same noise whatever batch the sample is in."""
    digest = hashlib.sha256(f"{seed}\x1f{sample_id}\x1f{step}".encode()).hexdigest()
    return int(digest[:8], 16)


def save_png(image: Image.Image, directory: Path, stem: str) -> ImageRef:
    """Write ``image`` as ``directory/<stem>.png`` atomically; its reference with hash/size."""
    directory.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    data = buf.getvalue()
    target = directory / f"{stem}.png"
    tmp = directory / f".{stem}.{os.getpid()}.png.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return ImageRef(
        path=str(target.absolute()),
        sha256=hashlib.sha256(data).hexdigest(),
        width=image.width,
        height=image.height,
        format="png",
        size_bytes=len(data),
    )


def safe_stem(sample_id: str) -> str:
    """A file name for a sample id (ids come from datasets: never let them leave the folder)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in sample_id).strip(".")
    if cleaned != sample_id or len(cleaned) > 120:
        cleaned = f"{cleaned[:80]}-{hashlib.sha1(sample_id.encode()).hexdigest()[:10]}"
    return cleaned or hashlib.sha1(sample_id.encode()).hexdigest()[:16]


def mask_from(value: Any, width: int, height: int) -> np.ndarray | None:
    """A boolean (height, width) mask from what a field holds: a COCO RLE (``size`` +
    ``counts``), a region dict with ``mask`` or ``box``, a list of those (their union), or a
    box ``[x0, y0, x1, y1]``.
    None when the value holds none of these or the mask's size is not the image's."""
    if isinstance(value, dict) and "counts" in value and "size" in value:
        try:
            mask = rle_decode(value)
        except (TypeError, ValueError):
            return None
        return mask if mask.shape == (height, width) else None
    if isinstance(value, dict):
        if isinstance(value.get("mask"), dict):
            return mask_from(value["mask"], width, height)
        if value.get("box") is not None:
            return mask_from(value["box"], width, height)
        return None
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        masks = [mask_from(v, width, height) for v in value]  # several regions: their union
        if any(m is None for m in masks):
            return None
        return np.logical_or.reduce(masks)
    if isinstance(value, list | tuple) and len(value) == 4:
        try:
            x0, y0, x1, y1 = (round(float(v)) for v in value)
        except (TypeError, ValueError):
            return None
        mask = np.zeros((height, width), dtype=bool)
        mask[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
        return mask
    return None


def mask_image(mask: np.ndarray, dilate: int = 0) -> Image.Image:
    """A mode "L" image of a boolean mask (white = change), grown by ``dilate`` pixels."""
    from PIL import ImageFilter

    im = Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L")
    if dilate > 0:
        im = im.filter(ImageFilter.MaxFilter(2 * dilate + 1))
    return im


def image_index_field(sample: Sample, field: str) -> int | None:
    """The index into ``sample.images`` that ``fields[field]`` names (an op stored it)."""
    value = sample.fields.get(field)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(sample.images):
        return value
    return None
