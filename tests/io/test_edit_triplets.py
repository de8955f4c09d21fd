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


def convert_to_np(image: Image.Image, resolution: int) -> np.ndarray:
    """huggingface/diffusers examples/instruct_pix2pix/train_instruct_pix2pix.py
    ``convert_to_np`` (called on every row's original and edited image)."""
    image = image.convert("RGB").resize((resolution, resolution))
    return np.array(image).transpose(2, 0, 1)


def test_only_edits_are_written_the_rest_counted(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    src, edit = _png(tmp_path / "s.png", (1, 2, 3)), _png(tmp_path / "e.png", (4, 5, 6))
    edit_fields = {"source_image": 0, "edited_image": 1, "instruction": "brighten it"}
    samples = [
        Sample(id="ok", images=[src, edit], fields=dict(edit_fields)),
        Sample(id="source-only", images=[src], fields={"instruction": "brighten it"}),
        Sample(id="none", fields={"instruction": "x"}),
        Sample(id="same", images=[src], fields={**edit_fields, "edited_image": 0}),
        Sample(id="no-instr", images=[src, edit], fields={**edit_fields, "instruction": " "}),
    ]
    out = tmp_path / "t.parquet"
    writer = open_writer("edit_triplets", out, tmp_path)
    for s in samples:
        writer.write(s)
    writer.close()
    assert writer.written == 1
    assert dict(writer.left_out) == {
        "no_edited_image": 2,
        "no_source_image": 1,
        "no_instruction": 1,
    }
    ds = datasets.load_dataset("parquet", data_files=str(out), split="train")
    assert ds["id"] == ["ok"]
    # the pix2pix trainer's preprocessing over every row
    originals = np.concatenate([convert_to_np(im, 8) for im in ds["source_image"]])
    edited = np.concatenate([convert_to_np(im, 8) for im in ds["edited_image"]])
    assert originals.shape == edited.shape == (3, 8, 8)
    assert ds["instruction"] == ["brighten it"]
