"""A source's extra keys whose JSON type changes between shards still load as one table.

HF ``datasets`` (what LLaMA-Factory's ``load_dataset("json", data_files=[...])`` is) infers a
column's type from the first file and casts the others to it: MS-Swift ``objects`` as
``{ref, bbox}`` in one shard and ``{ref, bbox, bbox_type, image_id}`` in the next, a ``year`` that is ``2006`` here and
``"n/a"`` there, or a key only some shards have, used to fail. The rule (README, formats):
``objects`` is written in one fixed shape; the source's other keys go into one JSON text
column, ``source_fields``, on every row, and our readers give them back as they came.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from trainer_samples import jsonl, make_image, write

from mmrecipe.io import open_reader


def _source(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _row(n: int, objects: dict, year: object, extra: dict | None = None) -> dict:
    return {
        "id": f"s{n}",
        "messages": [
            {"role": "user", "content": "<image>Locate the <ref-object>"},
            {"role": "assistant", "content": "<bbox>"},
        ],
        "images": ["cat.png"],
        "objects": objects,
        "year": year,
        **(extra or {}),
    }


def test_shards_with_changing_source_types_load_together(tmp_path: Path) -> None:
    datasets = importlib.import_module("datasets")
    make_image(tmp_path / "cat.png", 1)
    shards = [
        [
            _row(0, {"ref": ["dog"], "bbox": [[1, 2, 11, 22]]}, 2006, {"meta": {"a": 1}}),
            _row(1, {"ref": ["cat"], "bbox": [[3, 4, 5, 6]]}, 2007, {"meta": {"a": 2}}),
        ],
        [
            _row(
                2,
                {"ref": ["sheep"], "bbox": [[0.5, 1, 9, 9]], "bbox_type": "real", "image_id": [0]},
                "n/a",
                {"meta": [1, 2], "flag": True},
            ),
        ],
    ]
    out_dir = tmp_path / "run" / "data" / "sharegpt"
    read_back = []
    for n, rows in enumerate(shards):
        src = tmp_path / f"in{n}.jsonl"
        _source(src, rows)
        samples = list(open_reader("sharegpt", src, image_root=tmp_path))
        read_back += samples
        write("sharegpt", samples, out_dir / f"shard-{n:05d}.jsonl", tmp_path)

    # the whole run as one table, as LLaMA-Factory and trainers/hf_datasets.py load it
    ds = datasets.load_dataset(
        "json",
        data_files=str(out_dir / "shard-*.jsonl"),
        split="train",
        cache_dir=str(tmp_path / "hf"),
    )
    assert len(ds) == 3
    packed = [json.loads(f) for f in ds["source_fields"]]
    assert [p["year"] for p in packed] == [2006, 2007, "n/a"]
    assert [p["meta"] for p in packed] == [{"a": 1}, {"a": 2}, [1, 2]]
    assert "objects" not in packed[0]
    assert ds[2]["objects"] == {
        "ref": ["sheep"],
        "bbox": [[0.5, 1.0, 9.0, 9.0]],
        "bbox_type": "real",
        "image_id": [0],
    }
    assert ds[0]["objects"]["image_id"] == [0] and ds[0]["objects"]["bbox_type"] == "real"

    # our readers give every source key back with its own type
    again = []
    for shard in sorted(out_dir.glob("shard-*.jsonl")):
        again += list(open_reader("sharegpt", shard, image_root=tmp_path))
    assert [s.fields["year"] for s in again] == [2006, 2007, "n/a"]
    assert [s.fields["meta"] for s in again] == [{"a": 1}, {"a": 2}, [1, 2]]
    assert again[2].fields["flag"] is True and "source_fields" not in again[2].fields
    assert again[2].fields["source_keys"] == ["flag", "meta", "objects", "year"]
    assert [s.fields["boxes"] for s in again] == [s.fields["boxes"] for s in read_back]
    # a row without source keys still has the column (one schema for every shard)
    assert jsonl(out_dir / "shard-00000.jsonl")[0]["source_fields"].startswith("{")


def test_hf_messages_shards_with_changing_source_types_load_together(tmp_path: Path) -> None:
    datasets = importlib.import_module("datasets")
    make_image(tmp_path / "cat.png", 1)
    out_dir = tmp_path / "data" / "hf_messages"
    for n, rows in enumerate(
        [[_row(0, {"k": 1}, 2006)], [_row(1, {"k": [1]}, "n/a", {"only_here": None})]]
    ):
        src = tmp_path / f"in{n}.jsonl"
        _source(src, rows)
        samples = list(open_reader("sharegpt", src, image_root=tmp_path))
        write("hf_messages", samples, out_dir / f"shard-{n:05d}.jsonl", tmp_path)
    ds = datasets.load_dataset(
        "json", data_files=str(out_dir / "shard-*.jsonl"), split="train", cache_dir=str(tmp_path)
    )
    packed = [json.loads(f) for f in ds["source_fields"]]
    assert packed == [
        {"objects": {"k": 1}, "year": 2006},
        {"objects": {"k": [1]}, "only_here": None, "year": "n/a"},
    ]
