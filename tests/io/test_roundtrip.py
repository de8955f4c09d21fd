"""Format conversions keep conversations and image bytes; Parquet loads in HF datasets."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.io import open_reader


def _images(folder: Path, n: int) -> list[Path]:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"img{i}.png"
        Image.fromarray(rng.integers(0, 255, (20 + i, 24, 3), dtype=np.uint8)).save(p)
        paths.append(p)
    return paths


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _llava_input(tmp_path: Path) -> Path:
    imgs = _images(tmp_path / "imgs", 3)
    records = [
        {
            "id": "a",
            "image": "imgs/img0.png",
            "conversations": [
                {"from": "human", "value": "<image>\nWhat is shown?"},
                {"from": "gpt", "value": "Noise, «unicode» 你好."},
                {"from": "human", "value": "And then?"},
                {"from": "gpt", "value": "More noise."},
            ],
        },
        {
            "id": "b",
            "image": ["imgs/img1.png", "imgs/img2.png"],
            "conversations": [
                {"from": "human", "value": "<image>\n<image>\nCompare the two."},
                {"from": "gpt", "value": "The second is taller."},
            ],
        },
    ]
    assert all(p.exists() for p in imgs)
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def _convert(src: Path, dst: Path, fmt: str, *extra: str) -> None:
    result = CliRunner().invoke(main, ["convert", str(src), str(dst), "--to", fmt, *extra])
    assert result.exit_code == 0, result.output


def test_llava_parquet_sharegpt_llava_round_trip(tmp_path: Path) -> None:
    src = _llava_input(tmp_path)
    _convert(src, tmp_path / "p" / "out.parquet", "parquet")
    _convert(tmp_path / "p" / "out.parquet", tmp_path / "s" / "out.jsonl", "sharegpt")
    _convert(tmp_path / "s" / "out.jsonl", tmp_path / "l" / "out.jsonl", "llava_onevision")

    original = [json.loads(line) for line in src.read_text().splitlines()]
    final = [json.loads(line) for line in (tmp_path / "l/out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in final] == ["a", "b"]
    for before, after in zip(original, final, strict=True):
        assert after["conversations"] == before["conversations"]
        old = before["image"] if isinstance(before["image"], list) else [before["image"]]
        new = after["image"]  # always a list in llava_onevision: one JSON type per field
        assert [_sha(tmp_path / p) for p in old] == [_sha(tmp_path / "l" / p) for p in new]


def test_openai_and_samples_formats_round_trip(tmp_path: Path) -> None:
    src = _llava_input(tmp_path)
    _convert(src, tmp_path / "o" / "out.jsonl", "openai")
    first = json.loads((tmp_path / "o/out.jsonl").read_text().splitlines()[1])
    kinds = [p["type"] for p in first["messages"][0]["content"]]
    assert kinds == ["image_url", "image_url", "text"]
    # o/out.jsonl names the images in imgs/, beside o/: the dataset root must include them
    root = ["--image-root", str(tmp_path)]
    _convert(tmp_path / "o" / "out.jsonl", tmp_path / "n" / "out.jsonl", "samples", *root)
    # the images came as data URLs and lie in n/images: the file's own folder is the root
    back = list(open_reader("auto", tmp_path / "n" / "out.jsonl"))
    orig = list(open_reader("llava", src))
    assert [s.messages for s in back] == [s.messages for s in orig]
    assert [[_sha(Path(i.path)) for i in s.images] for s in back] == [
        [_sha(Path(i.path)) for i in s.images] for s in orig
    ]


def test_parquet_loads_in_hf_datasets_with_image_feature(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    src = _llava_input(tmp_path)
    _convert(src, tmp_path / "p" / "out.parquet", "parquet")
    ds = datasets.load_dataset(
        "parquet",
        data_files=str(tmp_path / "p/out.parquet"),
        split="train",
        cache_dir=str(tmp_path / "hf"),
    )
    assert isinstance(ds.features["images"].feature, datasets.Image)
    row = ds[1]
    assert [im.size for im in row["images"]] == [(24, 21), (24, 22)]
    assert row["messages"][0] == {"role": "user", "content": "<image>\n<image>\nCompare the two."}


def test_malformed_records_are_reported_not_fatal(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(
        '{"id": "x", "conversations": []}\n{oops\n[1,2]\n'
        '{"id": "y", "conversations": [{"from": "robot", "value": "?"}]}\n'
    )
    result = CliRunner().invoke(
        main,
        ["convert", str(src), str(tmp_path / "o.jsonl"), "--from", "llava", "--to", "sharegpt"],
    )
    assert result.exit_code == 1, result.output  # 0 of N written is a failure
    assert "wrote 0 record(s)" in result.output and "wrote 0 of 4 record(s)" in result.output
    assert "3 malformed_record" in result.output
    assert "1 empty_conversation" in result.output  # LLaMA-Factory cannot take it: left out
