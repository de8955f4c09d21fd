"""COCO captions + instances become samples with captions and boxes, and are written back."""

from __future__ import annotations

import json
from pathlib import Path

from mmrecipe.io import open_reader, open_writer


def test_coco_captions_and_instances(tmp_path: Path) -> None:
    images = [
        {"id": 7, "file_name": "a.jpg", "width": 64, "height": 48},
        {"id": 9, "file_name": "b.jpg", "width": 32, "height": 32},
    ]
    (tmp_path / "captions.json").write_text(
        json.dumps(
            {
                "images": images,
                "annotations": [
                    {"id": 1, "image_id": 7, "caption": " A dog. "},
                    {"id": 2, "image_id": 7, "caption": "A brown dog."},
                ],
            }
        )
    )
    (tmp_path / "instances.json").write_text(
        json.dumps(
            {
                "images": images,
                "categories": [{"id": 18, "name": "dog"}],
                "annotations": [
                    {"id": 5, "image_id": 7, "bbox": [1, 2, 30, 20], "category_id": 18}
                ],
            }
        )
    )
    reader = open_reader(
        "auto", tmp_path / "captions.json", instances=str(tmp_path / "instances.json")
    )
    samples = list(reader)
    assert [s.fields["coco_id"] for s in samples] == [7, 9]
    first = samples[0]
    assert first.fields["captions"] == ["A dog.", "A brown dog."]
    assert first.fields["boxes"] == [
        {"bbox": [1.0, 2.0, 30.0, 20.0], "category": "dog", "category_id": 18, "id": 5}
    ]
    assert first.images[0].path == str(tmp_path / "a.jpg")
    assert "captions" not in samples[1].fields

    for fmt in ("coco", "coco_captions"):
        writer = open_writer(fmt, tmp_path / "out" / f"{fmt}.json", base_dir=tmp_path)
        for s in samples:
            writer.write(s)
        writer.close()
    again = list(
        open_reader(
            "coco",
            tmp_path / "out" / "coco_captions.json",
            image_root=tmp_path,
            instances=str(tmp_path / "out" / "coco.json"),
        )
    )
    assert again[0].fields["captions"] == first.fields["captions"]
    assert again[0].fields["boxes"] == [{**first.fields["boxes"][0], "area": 600.0, "iscrowd": 0}]
