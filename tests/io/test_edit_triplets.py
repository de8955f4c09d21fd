"""The edit-triplet Parquet read back by HF ``datasets``: images decode to the same pixels,
the mask comes back where a masked edit made one, columns are typed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.experts.geometry import rle_encode
from mmrecipe.io import open_writer
from mmrecipe.sample import ImageRef, Sample


def _png(path: Path, color: tuple[int, int, int]) -> ImageRef:
    Image.new("RGB", (24, 16), color).save(path)
    return ImageRef(str(path))


def test_triplets_round_trip_through_datasets(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    mask = np.zeros((16, 24), dtype=bool)
    mask[4:10, 6:18] = True
    masked = Sample(
        id="a-e0",
        images=[_png(tmp_path / "a.png", (200, 0, 0)), _png(tmp_path / "a-edit.png", (0, 0, 200))],
        fields={
            "source_image": 0,
            "edited_image": 1,
            "instruction": "make the box blue",
            "edit_type": "attribute",
            "source_caption": "a red box",
            "target_caption": "a blue box",
            "edit_mask": rle_encode(mask),
            "expression": "the box",
        },
        scores={"edit_changed": 0.9, "edit_clip_direction": 0.31},
    )
    plain = Sample(
        id="b-e1",
        images=[_png(tmp_path / "b.png", (0, 200, 0)), _png(tmp_path / "b-edit.png", (9, 9, 9))],
        fields={"source_image": 0, "edited_image": 1, "instruction": "make it night"},
    )
    out = tmp_path / "data" / "shard-00000.parquet"
    writer = open_writer("edit_triplets", out, tmp_path, keep_fields=["expression"])
    writer.write(masked)
    writer.write(plain)
    writer.close()

    ds = datasets.load_dataset("parquet", data_files=str(out), split="train")
    assert isinstance(ds.features["source_image"], datasets.Image)
    assert isinstance(ds.features["edited_image"], datasets.Image)
    assert isinstance(ds.features["mask_image"], datasets.Image)
    first, second = ds[0], ds[1]
    assert first["id"] == "a-e0" and first["instruction"] == "make the box blue"
    assert first["source_image"].getpixel((0, 0)) == (200, 0, 0)
    assert first["edited_image"].getpixel((0, 0)) == (0, 0, 200)
    assert (np.asarray(first["mask_image"]) > 127).tolist() == mask.tolist()
    assert first["edit_type"] == "attribute" and first["target_caption"] == "a blue box"
    assert json.loads(first["scores"])["edit_clip_direction"] == 0.31
    assert json.loads(first["fields"]) == {"expression": "the box"}
    assert second["mask_image"] is None and second["edit_type"] is None
    assert second["edited_image"].getpixel((3, 3)) == (9, 9, 9)
