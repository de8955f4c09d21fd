"""Multi-image interleaved samples survive every writer and reader: same images, same text."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mmrecipe.context import OpContext
from mmrecipe.io import open_reader, open_writer
from mmrecipe.registry import build_op


@pytest.mark.parametrize("fmt", ["llava", "sharegpt", "openai", "parquet", "samples"])
def test_two_image_samples_round_trip(tmp_path: Path, fmt: str) -> None:
    op = build_op("synth_interleaved", "il", {"num_samples": 4, "seed": 2})
    op.setup(OpContext(run_dir=tmp_path / "run"))
    samples = op.generate(0, 4)
    assert {s.fields["generator"] for s in samples} == {
        "jigsaw",
        "maze",
        "visual_search",
        "chart_refocus",
    }
    suffix = ".parquet" if fmt == "parquet" else ".jsonl"
    path = tmp_path / f"out{suffix}"
    writer = open_writer(fmt, path, base_dir=tmp_path / "run")
    for s in samples:
        writer.write(s)
    writer.close()
    back = list(
        open_reader(fmt, path, image_root=tmp_path / "run", materialize_dir=tmp_path / "mat")
    )
    assert len(back) == len(samples)
    for original, read in zip(samples, back, strict=True):
        assert read.id == original.id
        assert len(read.images) == len(original.images) == 2
        for a, b in zip(original.images, read.images, strict=True):
            assert Path(a.path).read_bytes() == Path(b.path).read_bytes()
            assert hashlib.sha256(Path(b.path).read_bytes()).hexdigest() == a.sha256
        assert [(m["role"], m["content"]) for m in read.messages] == [
            (m["role"], m["content"]) for m in original.messages
        ]
