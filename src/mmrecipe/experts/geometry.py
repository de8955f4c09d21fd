"""Boxes and masks: IoU, non-maximum suppression, positions in words, run-length masks.

Boxes are ``[x0, y0, x1, y1]`` in pixels of the original image (COCO's ``bbox`` is
``[x, y, w, h]``; :func:`to_xywh` converts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Box = Sequence[float]


def area(box: Box) -> float:
    return max(0.0, float(box[2]) - float(box[0])) * max(0.0, float(box[3]) - float(box[1]))


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when either is empty)."""
    ix0, iy0 = max(a[0], b[0]), max(a[1], b[1])
    ix1, iy1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, ix1 - ix0) * max(0.0, iy1 - iy0)
    union = area(a) + area(b) - inter
    return float(inter / union) if union > 0 else 0.0


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``a`` (n, 4) and ``b`` (m, 4) -> (n, m)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ix0 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(a[:, None, 3], b[None, :, 3])
    # np.maximum, not np.clip: this runs per image on a few boxes, where clip's overhead shows
    inter = np.maximum(ix1 - ix0, 0.0) * np.maximum(iy1 - iy0, 0.0)
    area_a = np.maximum(a[:, 2] - a[:, 0], 0.0) * np.maximum(a[:, 3] - a[:, 1], 0.0)
    area_b = np.maximum(b[:, 2] - b[:, 0], 0.0) * np.maximum(b[:, 3] - b[:, 1], 0.0)
    union = area_a[:, None] + area_b[None, :] - inter
    out = np.zeros_like(union)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression: indices kept, best score first."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    order = list(np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable"))
    if not order:
        return []
    ious = iou_matrix(boxes, boxes)
    over = ious > iou_threshold
    keep: list[int] = []
    suppressed = np.zeros(len(boxes), dtype=bool)
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        suppressed |= over[i]
    return keep


def clip_box(box: Box, width: int, height: int) -> list[float]:
    """The box inside the image, rounded to 0.1 px."""
    x0 = min(max(float(box[0]), 0.0), width)
    y0 = min(max(float(box[1]), 0.0), height)
    x1 = min(max(float(box[2]), 0.0), width)
    y1 = min(max(float(box[3]), 0.0), height)
    return [round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1)]


def to_xywh(box: Box) -> list[float]:
    return [
        float(box[0]),
        float(box[1]),
        float(box[2]) - float(box[0]),
        float(box[3]) - float(box[1]),
    ]


def position(box: Box, width: int, height: int) -> str:
    """Where a box's centre lies, in words ("top left", "center", "bottom", ...)."""
    cx = (box[0] + box[2]) / 2 / max(width, 1)
    cy = (box[1] + box[3]) / 2 / max(height, 1)
    col = "left" if cx < 1 / 3 else ("right" if cx > 2 / 3 else "")
    row = "top" if cy < 1 / 3 else ("bottom" if cy > 2 / 3 else "")
    return " ".join(p for p in (row, col) if p) or "center"


def normalized_box(box: Box, width: int, height: int, scale: int = 1000) -> list[int]:
    """A box in integer coordinates on a 0..scale grid (Qwen-VL / Kosmos style grounding)."""
    w, h = max(width, 1), max(height, 1)
    return [
        round(box[0] / w * scale),
        round(box[1] / h * scale),
        round(box[2] / w * scale),
        round(box[3] / h * scale),
    ]


def rle_encode(mask: np.ndarray) -> dict[str, object]:
    """COCO uncompressed RLE of a boolean (h, w) mask: counts over column-major pixels,
    starting with a run of zeros (pycocotools' ``frPyObjects`` reads it)."""
    flat = np.asarray(mask, dtype=bool).reshape(-1, order="F")
    h, w = mask.shape
    if flat.size == 0:
        return {"size": [int(h), int(w)], "counts": []}
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0, *runs]
    return {"size": [int(h), int(w)], "counts": runs}


def rle_decode(rle: dict[str, object]) -> np.ndarray:
    """The boolean mask of an uncompressed RLE (inverse of :func:`rle_encode`)."""
    h, w = (int(v) for v in rle["size"])  # type: ignore[union-attr]
    counts = [int(c) for c in rle["counts"]]  # type: ignore[union-attr]
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, counts)
    return flat.reshape((w, h)).T if flat.size == h * w else np.zeros((h, w), dtype=bool)


def mask_box(mask: np.ndarray) -> list[float] | None:
    """The tight box of a boolean mask (None when empty)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
