"""Multi-image interleaved samples survive every container format (same images, same text);
trainer formats, whose loaders take no image in an answer, leave them out (counted) or move the
produced image to the question when asked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mmrecipe.context import OpContext
from mmrecipe.io import WRITE_SUFFIX, open_reader, open_writer
from mmrecipe.io.base import IMAGE_TOKEN
from mmrecipe.registry import build_op


def _interleaved(tmp_path: Path) -> list:
    op = build_op("synth_interleaved", "il", {"num_samples": 4, "seed": 2})
    op.setup(OpContext(run_dir=tmp_path / "run"))
    samples = op.generate(0, 4)
    assert {s.fields["generator"] for s in samples} == {
        "jigsaw",
        "maze",
        "visual_search",
        "chart_refocus",
    }
    return samples


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("parquet", {}),
        ("webdataset", {}),
        ("samples", None),
        ("llava_onevision", {"assistant_images": "move_to_user"}),
        ("sharegpt", {"assistant_images": "move_to_user"}),
        ("openai", {"assistant_images": "move_to_user"}),
    ],
)
def test_two_image_samples_round_trip(tmp_path: Path, fmt: str, options: dict | None) -> None:
    samples = _interleaved(tmp_path)
    path = tmp_path / f"out{WRITE_SUFFIX[fmt]}"
    writer = open_writer(fmt, path, base_dir=tmp_path / "run", options=options)
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
        if options:  # the produced image moved into the question: text differs, not images
            assert IMAGE_TOKEN not in read.messages[-1]["content"]
            continue
        assert [(m["role"], m["content"]) for m in read.messages] == [
            (m["role"], m["content"]) for m in original.messages
        ]


@pytest.mark.parametrize("fmt", ["llava", "llava_onevision", "sharegpt", "hf_messages", "openai"])
def test_trainer_formats_leave_interleaved_samples_out(tmp_path: Path, fmt: str) -> None:
    samples = _interleaved(tmp_path)
    writer = open_writer(fmt, tmp_path / f"out{WRITE_SUFFIX[fmt]}", base_dir=tmp_path / "run")
    for s in samples:
        writer.write(s)
    writer.close()
    reason = "multi_image" if fmt == "llava" else "assistant_image"
    assert writer.written == 0 and dict(writer.left_out) == {reason: 4}
