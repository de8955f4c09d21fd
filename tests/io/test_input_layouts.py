"""Published layouts read without loss: the_cauldron, llava-instruct-mix-vsft, OpenAI with
https images, ShareGPT with a top-level system, OneVision's data_source, text-only records."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from trainer_samples import jsonl, make_image, sha, write

from mmrecipe.io import open_reader
from mmrecipe.sample import ImageRef, Sample


def _png(tmp_path: Path, seed: int) -> bytes:
    return make_image(tmp_path / f"src{seed}.png", seed).read_bytes()


def test_the_cauldron_parquet(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(
        [
            {
                "images": [{"bytes": _png(tmp_path, 1), "path": None}],
                "texts": [
                    {"user": "Question: what colour?", "assistant": "Red.", "source": "ai2d"},
                    {"user": "And the shape?", "assistant": "Round.", "source": "ai2d_gpt4v"},
                ],
            }
        ]
    )
    pq.write_table(table, tmp_path / "cauldron.parquet")
    (sample,) = list(
        open_reader("auto", tmp_path / "cauldron.parquet", materialize_dir=tmp_path / "m")
    )
    assert not sample.rejected
    assert [m["role"] for m in sample.messages] == ["user", "assistant", "user", "assistant"]
    assert sample.messages[0]["content"] == "<image>\nQuestion: what colour?"
    assert sample.fields["source"] == "ai2d"
    assert sample.fields["turn_sources"] == ["ai2d", "ai2d_gpt4v"]  # each turn's own
    assert sha(sample.images[0].path) == sha(tmp_path / "src1.png")
    write("llava_onevision", [sample], tmp_path / "ov.jsonl", tmp_path)
    assert jsonl(tmp_path / "ov.jsonl")[0]["turn_sources"] == ["ai2d", "ai2d_gpt4v"]


def test_onevision_parquet_keeps_the_embedded_file_name(tmp_path: Path) -> None:
    """lmms-lab/LLaVA-OneVision-Data: ``image`` {bytes, path}, ``conversations``,
    ``data_source``; the original file name comes back as ``fields.image_names`` and as the
    ``path`` of the image when written to Parquet again (HF ``datasets`` Image feature)."""
    import datasets

    table = pa.Table.from_pylist(
        [
            {
                "id": "ai2d_42",
                "image": {"bytes": _png(tmp_path, 2), "path": "ai2d/images/42.png"},
                "conversations": [
                    {"from": "human", "value": "<image>\nWhich layer?"},
                    {"from": "gpt", "value": "The crust."},
                ],
                "data_source": "ai2d(gpt4v)",
            }
        ]
    )
    pq.write_table(table, tmp_path / "ov.parquet")
    (sample,) = list(open_reader("auto", tmp_path / "ov.parquet", materialize_dir=tmp_path / "m"))
    assert sample.fields["image_names"] == ["ai2d/images/42.png"]
    assert sample.fields["data_source"] == "ai2d(gpt4v)"
    write("parquet", [sample], tmp_path / "back.parquet", tmp_path)
    ds = datasets.load_dataset(
        "parquet",
        data_files=str(tmp_path / "back.parquet"),
        split="train",
        cache_dir=str(tmp_path / "hf"),
    ).cast_column("images", datasets.Sequence(datasets.Image(decode=False)))
    assert ds[0]["images"][0]["path"] == "ai2d/images/42.png"
    assert json.loads(ds[0]["fields"])["image_names"] == ["ai2d/images/42.png"]


def test_llava_instruct_mix_typed_parts_with_null_text(tmp_path: Path) -> None:
    part = pa.struct([("index", pa.int64()), ("text", pa.string()), ("type", pa.string())])
    schema = pa.schema(
        [
            ("messages", pa.list_(pa.struct([("content", pa.list_(part)), ("role", pa.string())]))),
            ("images", pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())]))),
        ]
    )
    row = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"index": 0, "text": None, "type": "image"},
                    {"index": None, "text": "What is in the picture?", "type": "text"},
                ],
            },
            {"role": "assistant", "content": [{"index": None, "text": "A cat.", "type": "text"}]},
        ],
        "images": [{"bytes": _png(tmp_path, 2), "path": None}],
    }
    pq.write_table(pa.Table.from_pylist([row], schema=schema), tmp_path / "mix.parquet")
    (sample,) = list(open_reader("auto", tmp_path / "mix.parquet", materialize_dir=tmp_path / "m"))
    assert sample.messages == [
        {"role": "user", "content": "<image>\nWhat is in the picture?"},
        {"role": "assistant", "content": "A cat."},
    ]
    # and the same layout as JSONL (hf_messages)
    (tmp_path / "mix.jsonl").write_text(
        json.dumps({"messages": row["messages"], "images": ["src2.png"]}) + "\n"
    )
    (again,) = list(open_reader("auto", tmp_path / "mix.jsonl"))
    assert again.messages == sample.messages and sha(again.images[0].path) == sha(
        sample.images[0].path
    )


def test_openai_https_images_are_refused_unless_allowed(tmp_path: Path) -> None:
    record = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.org/cat.jpg"}},
                    {"type": "text", "text": "What is it?"},
                ],
            },
            {"role": "assistant", "content": "A cat."},
        ]
    }
    (tmp_path / "o.jsonl").write_text(json.dumps(record) + "\n")
    # not a bogus local path: a URL is downloaded only when the recipe allows it (trust rules)
    (refused,) = list(open_reader("openai", tmp_path / "o.jsonl"))
    assert refused.rejection is not None
    assert refused.rejection.reason == "remote_image_not_allowed"
    # a sample that still names a URL: OpenAI takes https URLs, local-path trainers do not
    remote = Sample(
        id="r",
        images=[ImageRef(path="https://example.org/cat.jpg")],
        messages=[
            {"role": "user", "content": "<image>\nWhat is it?"},
            {"role": "assistant", "content": "A cat."},
        ],
    )
    write("openai", [remote], tmp_path / "out.jsonl", tmp_path)
    assert "https://example.org/cat.jpg" in (tmp_path / "out.jsonl").read_text()
    local = write("sharegpt", [remote], tmp_path / "sg.jsonl", tmp_path)
    assert local.left_out == {"remote_image": 1}


def test_source_keys_survive_and_turns_merge(tmp_path: Path) -> None:
    make_image(tmp_path / "a.png", 3)
    (tmp_path / "ov.json").write_text(
        json.dumps(
            [
                {
                    "id": "x",
                    "image": "a.png",
                    "data_source": "chartqa",
                    "conversations": [
                        {"from": "human", "value": "<image>"},
                        {"from": "human", "value": "Read the chart."},
                        {"from": "gpt", "value": "12"},
                    ],
                },
                {
                    "id": "t",
                    "conversations": [
                        {"from": "human", "value": "Hi"},
                        {"from": "gpt", "value": "Hello"},
                    ],
                },
            ]
        )
    )
    samples = list(open_reader("auto", tmp_path / "ov.json"))
    assert samples[0].messages[0] == {"role": "user", "content": "<image>\nRead the chart."}
    assert samples[0].fields["data_source"] == "chartqa"
    assert samples[1].images == []  # text-only records are kept by readers
    write("llava_onevision", samples, tmp_path / "back.jsonl", tmp_path)
    back = jsonl(tmp_path / "back.jsonl")
    assert back[0]["data_source"] == "chartqa" and back[0]["image"] == ["a.png"]
    assert "image" not in back[1]

    (tmp_path / "sg.jsonl").write_text(
        json.dumps(
            {
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": "<image>Q"},
                    {"role": "assistant", "content": "A"},
                ],
                "images": ["a.png"],
            }
        )
        + "\n"
    )
    (sg,) = list(open_reader("sharegpt", tmp_path / "sg.jsonl"))
    assert sg.messages[0] == {"role": "system", "content": "Be brief."}
    write("sharegpt", [sg], tmp_path / "sg2.jsonl", tmp_path)
    assert jsonl(tmp_path / "sg2.jsonl")[0]["system"] == "Be brief."


def test_webdataset_reader(tmp_path: Path) -> None:
    import tarfile

    with tarfile.open(tmp_path / "clip.tar", "w") as tar:
        for key, seed in (("k0", 4), ("k1", 5)):
            for name, data in ((f"{key}.jpg", _png(tmp_path, seed)), (f"{key}.txt", b"a photo")):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    samples = list(open_reader("auto", tmp_path / "clip.tar", materialize_dir=tmp_path / "m"))
    assert [s.fields["caption"] for s in samples] == ["a photo", "a photo"]
    assert sha(samples[1].images[0].path) == sha(tmp_path / "src5.png")


def test_img2dataset_tar_keeps_its_json_and_key(tmp_path: Path) -> None:
    """img2dataset's webdataset output: KEY.jpg, KEY.txt, KEY.json with url, key, status,
    width, height, similarity, ... (rom1504/img2dataset, "Output format choice")."""
    import tarfile

    meta = {
        "url": "https://example.org/a.jpg",
        "caption": "a photo",
        "key": "000010002",
        "status": "success",
        "error_message": None,
        "width": 30,
        "height": 24,
        "original_width": 300,
        "original_height": 240,
        "similarity": 0.31,
    }
    with tarfile.open(tmp_path / "00001.tar", "w") as tar:
        for name, data in (
            ("000010002.jpg", _png(tmp_path, 4)),
            ("000010002.txt", b"a photo"),
            ("000010002.json", json.dumps(meta).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (sample,) = list(open_reader("auto", tmp_path / "00001.tar", materialize_dir=tmp_path / "m"))
    assert sample.id == "000010002"  # the tar key, not a hash
    for key, value in meta.items():
        assert sample.fields[key] == value, key
    assert sha(sample.images[0].path) == sha(tmp_path / "src4.png")
    # written back (sharegpt keeps them in source_fields)
    sample.messages = [
        {"role": "user", "content": "<image>Describe."},
        {"role": "assistant", "content": "A photo."},
    ]
    write("sharegpt", [sample], tmp_path / "sg.jsonl", tmp_path)
    packed = json.loads(jsonl(tmp_path / "sg.jsonl")[0]["source_fields"])
    assert packed["similarity"] == 0.31 and packed["url"] == meta["url"]


def test_ms_swift_grounding_objects(tmp_path: Path) -> None:
    make_image(tmp_path / "cat.png", 6)
    objects = {"ref": ["sheep", "dog"], "bbox": [[90.9, 160.8, 135, 212.8], [1, 2, 11, 22]]}
    record = {
        "messages": [
            {"role": "user", "content": "<image>Locate the <ref-object>"},
            {"role": "assistant", "content": "<bbox>"},
        ],
        "images": ["cat.png"],
        "objects": objects,
    }
    (tmp_path / "swift.jsonl").write_text(json.dumps(record) + "\n")
    (sample,) = list(open_reader("sharegpt", tmp_path / "swift.jsonl"))
    assert sample.fields["boxes"][1] == {"bbox": [1.0, 2.0, 10.0, 20.0], "category": "dog"}
    write("sharegpt", [sample], tmp_path / "back.jsonl", tmp_path, objects=True)
    # written back in MS-Swift's one shape: its defaults filled in, one schema for all shards
    assert jsonl(tmp_path / "back.jsonl")[0]["objects"] == {
        **objects,
        "bbox_type": "real",
        "image_id": [0, 0],
    }
    # COCO boxes become objects; a row without boxes gets an empty one (one column type)
    src = tmp_path / "coco.json"
    src.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "cat.png", "width": 30, "height": 24}],
                "annotations": [{"id": 2, "image_id": 1, "category_id": 3, "bbox": [1, 2, 10, 20]}],
                "categories": [{"id": 3, "name": "dog"}],
            }
        )
    )
    (coco,) = list(open_reader("coco", src))
    coco.messages = [
        {"role": "user", "content": "<image>Find the <ref-object>"},
        {"role": "assistant", "content": "<bbox>"},
    ]
    plain = sample.child("plain")
    plain.fields = {}
    write("sharegpt", [coco, plain], tmp_path / "c.jsonl", tmp_path, objects=True)
    rows = jsonl(tmp_path / "c.jsonl")
    assert rows[0]["objects"] == {
        "ref": ["dog"],
        "bbox": [[1.0, 2.0, 11.0, 22.0]],
        "bbox_type": "real",
        "image_id": [0],
    }
    assert rows[1]["objects"] == {"ref": [], "bbox": [], "bbox_type": "real", "image_id": []}
