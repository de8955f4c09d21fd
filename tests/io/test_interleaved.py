"""Interleaved documents: OBELICS and MMC4 records in reading order, OBELICS out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmrecipe.io import detect_format, open_reader, open_writer
from mmrecipe.io.interleaved import InterleavedError, parse_document


def test_obelics_order_and_mmc4_images_before_their_sentence() -> None:
    images, segs = parse_document({"texts": ["a", None, "b"], "images": [None, "x.png", None]})
    assert images == ["x.png"]
    assert segs == [
        {"type": "text", "text": "a"},
        {"type": "image", "image": 0},
        {"type": "text", "text": "b"},
    ]
    images, segs = parse_document(
        {
            "text_list": ["s0", "s1"],
            "image_info": [
                {"image_name": "late.png", "matched_text_index": 1},
                {"image_name": "first.png", "matched_text_index": 0},
                {"image_name": "end.png", "matched_text_index": 9},
            ],
        }
    )
    assert images == ["first.png", "late.png", "end.png"]
    assert [s.get("text", s.get("image")) for s in segs] == [0, "s0", 1, "s1", 2]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"texts": [None], "images": ["https://x/y.jpg"]}, "remote_image"),
        ({"texts": ["a", "b"], "images": [None]}, "malformed_record"),
        ({"texts": [None], "images": [None]}, "empty_document"),
        ({"caption": "x"}, "malformed_record"),
    ],
)
def test_bad_documents_say_why(record: dict, reason: str) -> None:
    with pytest.raises(InterleavedError, match=f"^{reason}"):
        parse_document(record)


def test_roundtrip_through_reader_and_writer(tmp_path: Path) -> None:
    src = tmp_path / "docs.jsonl"
    src.write_text(
        json.dumps({"id": "d1", "texts": ["t", None], "images": [None, "a.png"], "url": "u"})
        + "\n"
        + json.dumps({"id": "d2", "texts": [None], "images": ["http://x"]})
        + "\n"
    )
    assert detect_format(src) == "interleaved"
    samples = list(open_reader("interleaved", src))
    assert samples[0].images[0].path == str(tmp_path / "a.png")
    assert samples[0].fields["url"] == "u"
    assert samples[1].rejection is not None and samples[1].rejection.reason == "remote_image"
    out = tmp_path / "out.jsonl"
    writer = open_writer("interleaved", out, base_dir=tmp_path, keep_fields=["url"])
    writer.write(samples[0])
    writer.close()
    assert json.loads(out.read_text()) == {
        "id": "d1",
        "texts": ["t", None],
        "images": [None, "a.png"],
        "url": "u",
    }
