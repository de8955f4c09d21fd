"""Box and mask geometry on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mmrecipe.experts.geometry import (
    iou,
    iou_matrix,
    mask_box,
    nms,
    normalized_box,
    position,
    rle_decode,
    rle_encode,
)


def test_iou_known_values() -> None:
    assert iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert iou([0, 0, 10, 10], [10, 10, 20, 20]) == 0.0  # touching corners
    assert iou([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(50 / 150)
    assert iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0  # empty boxes never match
    m = iou_matrix(np.array([[0, 0, 10, 10], [5, 0, 15, 10]]), np.array([[0, 0, 10, 10]]))
    assert m[:, 0].tolist() == pytest.approx([1.0, 1 / 3])


def test_nms_keeps_best_of_overlapping() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]])
    assert nms(boxes, np.array([0.5, 0.9, 0.1]), 0.5) == [1, 2]


def test_rle_roundtrip_and_coco_convention() -> None:
    mask = np.zeros((4, 3), dtype=bool)
    mask[1:3, 1] = True
    rle = rle_encode(mask)
    # column-major: column 0 is 4 zeros, column 1 is 0,1,1,0 -> runs 5 zeros, 2 ones, 5 zeros
    assert rle == {"size": [4, 3], "counts": [5, 2, 5]}
    assert (rle_decode(rle) == mask).all()
    starts_on = np.ones((2, 2), dtype=bool)
    assert rle_encode(starts_on)["counts"] == [0, 4]
    assert mask_box(mask) == [1.0, 1.0, 2.0, 3.0]
    assert mask_box(np.zeros((2, 2), dtype=bool)) is None


def test_positions_and_grid() -> None:
    assert position([0, 0, 10, 10], 100, 100) == "top left"
    assert position([45, 45, 55, 55], 100, 100) == "center"
    assert position([80, 40, 100, 60], 100, 100) == "right"
    assert normalized_box([0, 0, 50, 25], 100, 50) == [0, 0, 500, 500]
