"""annotation_context: parts, conventions, size from the file, rejects; fan_out copies."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.errors import ConfigError
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample


def test_context_parts_and_size_from_the_file(tmp_path: Path) -> None:
    Image.new("RGB", (200, 100)).save(tmp_path / "a.png")  # no width/height in the ref
    fields = {
        "captions": ["A cat.", "A cat on a mat."],
        "boxes": [{"bbox": [20, 10, 100, 50], "category": "cat"}],
        "ocr": {"lines": [{"text": "WELCOME", "conf": 93.0}]},
        "tags": ["cat", "mat"],
    }
    op = build_op("annotation_context", "ctx", {"box_convention": "qwenvl"})
    (out,) = op.process_batch(
        [Sample(id="s", images=[ImageRef(str(tmp_path / "a.png"))], fields=fields)]
    )
    assert out.fields["context"] == (
        "Captions:\nA cat.\nA cat on a mat.\n\n"
        "Objects (image of 200x100 pixels; boxes as (x1,y1),(x2,y2): top-left and bottom-right "
        "corners scaled to 0-999 of the image width and height):\ncat: (100,100),(600,600)\n\n"
        "Text in the image (OCR), line by line:\nWELCOME\n\nTags:\ncat, mat"
    )


def test_rejects_and_config() -> None:
    op = build_op("annotation_context", "ctx", {"require": ["captions", "boxes"]})
    samples = [
        Sample(id="nocap", images=[ImageRef("x.png", width=10, height=10)],
               fields={"boxes": [{"bbox": [0, 0, 5, 5], "category": "a"}]}),
        Sample(id="bad", images=[ImageRef("x.png", width=10, height=10)],
               fields={"captions": ["x"], "boxes": [[0, 0, 5, 5]]}),
        Sample(id="noimg", fields={"captions": ["x"], "boxes": [{"bbox": [0, 0, 5, 5]}]}),
    ]  # fmt: skip
    out = {s.id: (s.rejection.reason, s.rejection.detail) for s in op.process_batch(samples)}
    assert out["nocap"] == ("missing_annotation", "no fields.captions")
    assert out["bad"][0] == "bad_annotation" and out["noimg"][0] == "bad_annotation"
    with pytest.raises(ConfigError):
        build_op("annotation_context", "ctx", {"require": ["pictures"]})


def test_fan_out() -> None:
    op = build_op("fan_out", "kinds", {"branches": ["a", "b"]})
    out = op.process_batch([Sample(id="s", fields={"x": 1})])
    assert [(s.id, s.branch, s.fields) for s in out] == [
        ("s-a", "a", {"x": 1, "kind": "a"}),
        ("s-b", "b", {"x": 1, "kind": "b"}),
    ]
    with pytest.raises(ConfigError):
        build_op("fan_out", "kinds", {"branches": ["a", "a"]})
