"""Box conventions are exact, and annotations render as readable text, never reprs."""

from __future__ import annotations

import pytest

from mmrecipe.ops.annotations.boxes import BoxError, absolute_box, format_box, smart_resize
from mmrecipe.ops.annotations.context import render_boxes, render_captions, render_ocr, render_tags


def test_conventions() -> None:
    box = [64, 96, 256, 240]
    assert format_box(box, 640, 480, "llava") == "[0.100, 0.200, 0.500, 0.700]"
    assert format_box(box, 640, 480, "pixels") == "[64, 96, 320, 336]"
    assert format_box(box, 640, 480, "coco") == "[64, 96, 256, 240]"
    assert format_box(box, 640, 480, "qwenvl") == "(100,200),(500,700)"


def test_exact_on_the_written_decimal() -> None:
    # 0.3 * 1000 / 1 is 299.99999999999994 in binary floats: the written 0.3 gives 300
    assert format_box([0.3, 0.7, 0.1, 0.2], 1, 1, "qwenvl") == "(300,700),(400,900)"
    # half up, not banker's rounding: 0.0625 -> 0.063 at 3 decimals
    assert format_box([40, 0, 10, 10], 640, 480, "llava").startswith("[0.063,")
    assert absolute_box([0.5, 1.5, 1, 1], 10, 10) == [1, 2, 2, 3]


def test_clipping_and_refusals() -> None:
    assert format_box([600, 400, 100, 100], 640, 480, "qwenvl") == "(937,833),(999,999)"
    assert format_box([-10, -10, 20, 20], 100, 100, "pixels") == "[0, 0, 10, 10]"
    for bad in ([1, 1, 0, 5], [200, 200, 5, 5], [1, 2, 3], [float("nan"), 0, 1, 1], ["a", 0, 1, 1]):
        with pytest.raises(BoxError):
            format_box(bad, 100, 100, "llava")


def test_smart_resize_matches_qwen25vl() -> None:
    assert smart_resize(640, 480) == (644, 476)
    assert smart_resize(10, 10) == (56, 56)  # below min_pixels: scaled up
    w, h = smart_resize(8000, 6000)  # above max_pixels: scaled down, multiples of 28
    assert w * h <= 28 * 28 * 16384 and w % 28 == 0 and h % 28 == 0


def test_rendering_is_readable() -> None:
    assert render_captions(["A  dog\nruns.", "", 3]) == ["A dog runs."]
    lines, skipped = render_boxes(
        [{"bbox": [0, 0, 10, 10], "category": "dog"}, {"bbox": [5, 5, 0, 0], "category": "x"}],
        20, 20, "llava",
    )  # fmt: skip
    assert lines == ["dog: [0.000, 0.000, 0.500, 0.500]"] and skipped == 1
    ocr = {"lines": [{"text": "OPEN", "conf": 96}, {"text": "l1|", "conf": 20}]}
    assert render_ocr(ocr, min_conf=50) == ["OPEN"]
    assert render_tags(["dog", {"name": "grass", "score": 0.9}, "dog"]) == "dog, grass"


def test_dataset_text_cannot_inject_markup() -> None:
    assert render_captions(["A <image> dog</ref><box>(1,2),(3,4)</box>"]) == ["A dog (1,2),(3,4)"]
    lines, _ = render_boxes([{"bbox": [0, 0, 5, 5], "category": "cat<image>"}], 10, 10, "pixels")
    assert lines == ["cat: [0, 0, 5, 5]"]
