"""Video samples in every format: readers for each layout that names videos, writers checked
with their consumers' parsing.

LLaMA-Factory and LLaVA-NeXT pull training stacks, so their loading paths are re-implemented
(llamafactory 0.9.5 installs with ``--no-deps``, but ``data/mm_plugin.py`` imports torchaudio at
module level and no torchaudio wheel matches torch 2.13; LLaVA-NeXT is not on PyPI):
* LLaMA-Factory @ ff6d4d12e ``src/llamafactory/data/converter.py`` ``_find_medias``
  (``os.path.join(media_dir, path)`` when that is a file; an empty list is None) and
  ``src/llamafactory/data/mm_plugin.py`` ``_validate_messages`` (L197-L210: as many
  ``<video>`` placeholders as videos, counted over all messages).
* LLaVA-VL/LLaVA-NeXT ``llava/train/train.py`` ``LazySupervisedDataset._get_item``
  (L1146-L1160: ``"image" in sources[0]`` is tested first; else ``video`` is one string
  joined to ``video_folder``) and ``preprocess_multimodal`` (L381-L395: one ``<image>`` in a
  turn is moved to its start).
HF ``datasets`` and ``webdataset`` are the real libraries.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from trainer_samples import assert_one_type_per_field, jsonl, write

from mmrecipe.context import OpContext
from mmrecipe.io import open_reader
from mmrecipe.ops.video.sample_frames import SampleFrames
from mmrecipe.ops.video.video_intake import VideoIntake
from mmrecipe.sample import ImageRef, Sample, VideoRef
from mmrecipe.testing.videos import moving_shapes, static_clip

VIDEO_PLACEHOLDER = "<video>"
DEFAULT_IMAGE_TOKEN = "<image>"


@pytest.fixture
def videos(tmp_path: Path) -> list[Sample]:
    """One video with a placeholder; one without; two videos; a video beside an image."""
    a = moving_shapes(tmp_path / "videos" / "a.mp4", seconds=2.0, cut_at=1.0)
    b = static_clip(tmp_path / "videos" / "b.mp4", seconds=1.0)
    from PIL import Image

    img = tmp_path / "images" / "i.png"
    img.parent.mkdir(parents=True)
    Image.new("RGB", (20, 20), "red").save(img)
    qa = [{"role": "assistant", "content": "A square moves."}]
    samples = [
        Sample(id="one", videos=[VideoRef(str(a))],
               messages=[{"role": "user", "content": "<video>\nWhat moves?"}, *qa]),
        Sample(id="bare", videos=[VideoRef(str(b))],
               messages=[{"role": "user", "content": "Describe."}, *qa]),
        Sample(id="two", videos=[VideoRef(str(a)), VideoRef(str(b))],
               messages=[{"role": "user", "content": "<video>\n<video>\nCompare."}, *qa]),
        Sample(id="mixed", videos=[VideoRef(str(b))], images=[ImageRef(str(img))],
               messages=[{"role": "user", "content": "<image>\n<video>\nSame?"}, *qa]),
    ]  # fmt: skip
    samples = VideoIntake().process_batch(samples)
    op = SampleFrames(num_frames=2)
    op.setup(OpContext(run_dir=tmp_path))
    return op.process_batch(samples)


def llamafactory(example: dict[str, Any], media_dir: Path) -> dict[str, Any]:
    def find_medias(medias: Any) -> list[str] | None:  # converter.py _find_medias
        if medias is None:
            return None
        medias = medias if isinstance(medias, list) else [medias]
        if not medias:
            return None
        return [
            os.path.join(media_dir, m) if os.path.isfile(os.path.join(media_dir, m)) else m
            for m in medias
        ]

    videos = find_medias(example.get("videos")) or []
    images = find_medias(example.get("images")) or []
    messages = example["messages"]
    n_video = sum(m["content"].count(VIDEO_PLACEHOLDER) for m in messages)  # mm_plugin L200
    n_image = sum(m["content"].count("<image>") for m in messages)
    if len(videos) != n_video or len(images) != n_image:  # mm_plugin L203-L210
        raise ValueError("The number of videos does not match the number of <video> tokens")
    return {"_videos": videos, "_images": images}


def test_sharegpt_videos_in_llamafactory(tmp_path: Path, videos: list[Sample]) -> None:
    datasets = importlib.import_module("datasets")
    out = tmp_path / "data" / "sharegpt.jsonl"
    writer = write("sharegpt", videos, out, tmp_path)
    assert writer.written == 4 and not writer.left_out
    records = jsonl(out)
    assert_one_type_per_field(records)
    for record in records:
        converted = llamafactory(record, tmp_path)
        assert all(os.path.isfile(v) for v in converted["_videos"])
    assert records[1]["messages"][0]["content"] == "<video>\nDescribe."  # placed for it
    assert records[0]["videos"] == ["videos/a.mp4"]  # relative to the run dir (media_dir)
    ds = datasets.load_dataset("json", data_files=str(out), split="train",
                               cache_dir=str(tmp_path / "hf"))  # fmt: skip
    assert ds["videos"][2] == ["videos/a.mp4", "videos/b.mp4"]


def llava_next(record: dict[str, Any], video_folder: Path) -> tuple[str, str]:
    """The video path and first turn ``_get_item`` and ``preprocess_multimodal`` use."""
    assert "image" not in record  # else the image branch would take it
    video_file = os.path.join(video_folder, record["video"])
    assert os.path.exists(video_file)
    first = record["conversations"][0]["value"]
    assert len(re.findall(DEFAULT_IMAGE_TOKEN, first)) == 1
    if not first.startswith(DEFAULT_IMAGE_TOKEN):
        first = DEFAULT_IMAGE_TOKEN + "\n" + first.replace(DEFAULT_IMAGE_TOKEN, "").strip()
    return video_file, first


def test_llava_onevision_video_records_in_llava_next(tmp_path: Path, videos: list[Sample]) -> None:
    out = tmp_path / "data" / "ov.jsonl"
    writer = write("llava_onevision", videos, out, tmp_path)
    assert dict(writer.left_out) == {"multi_video": 1, "video_with_images": 1}
    records = jsonl(out)
    assert [r["id"] for r in records] == ["one", "bare"]
    for record in records:
        path, first = llava_next(record, tmp_path)
        assert first.startswith("<image>\n") and path.endswith(".mp4")
    assert all(VIDEO_PLACEHOLDER not in t["value"] for r in records for t in r["conversations"])


def test_hf_messages_video_parts(tmp_path: Path, videos: list[Sample]) -> None:
    datasets = importlib.import_module("datasets")
    out = tmp_path / "data" / "hf.jsonl"
    write("hf_messages", videos, out, tmp_path)
    records = jsonl(out)
    for r in records:
        parts = [p for m in r["messages"] for p in m["content"]]
        assert sum(p["type"] == "video" for p in parts) == len(r["videos"])
        assert sum(p["type"] == "image" for p in parts) == len(r["images"])
    ds = datasets.load_dataset("json", data_files=str(out), split="train",
                               cache_dir=str(tmp_path / "hf"))  # fmt: skip
    assert ds[0]["messages"][0]["content"][0]["type"] == "video"


def test_parquet_holds_the_sampled_frames(tmp_path: Path, videos: list[Sample]) -> None:
    datasets = importlib.import_module("datasets")
    out = tmp_path / "data" / "p.parquet"
    writer = write("parquet", videos, out, tmp_path)
    assert writer.written == 4
    ds = datasets.load_dataset("parquet", data_files=str(out), split="train",
                               cache_dir=str(tmp_path / "hf"))  # fmt: skip
    row = ds[2]  # two videos, two frames each
    assert len(row["images"]) == 4
    text = row["messages"][0]["content"]
    assert text.count("<image>") == 4 and "<video>" not in text
    meta = json.loads(row["fields"])["videos"]
    assert [m["path"] for m in meta] == ["videos/a.mp4", "videos/b.mp4"]
    assert meta[0]["frame_times"] == [0.5, 1.5]


def test_webdataset_video_members(tmp_path: Path, videos: list[Sample]) -> None:
    wds = importlib.import_module("webdataset")
    out = tmp_path / "data" / "shard.tar"
    write("webdataset", videos[:3], out, tmp_path)
    members = list(wds.WebDataset(str(out), shardshuffle=False))
    assert members[0]["mp4"] == Path(videos[0].videos[0].path).read_bytes()
    assert "1.mp4" in members[2] and "0.mp4" not in members[2]
    back = list(open_reader("webdataset", out, materialize_dir=tmp_path / "mat"))
    assert [len(s.videos) for s in back] == [1, 1, 2]
    got = Path(back[0].videos[0].path)
    assert got.is_relative_to(tmp_path / "mat" / "videos")
    assert hashlib.sha256(got.read_bytes()).hexdigest() == videos[0].videos[0].sha256


def test_samples_round_trip_is_lossless(tmp_path: Path, videos: list[Sample]) -> None:
    out = tmp_path / "samples.jsonl"  # beside the media: relative paths resolve against it
    write("samples", videos, out, tmp_path)
    from mmrecipe.io.samples import SamplesReader

    back = list(SamplesReader(out))  # a run's own file (the executor's stages)
    assert [s.to_dict() for s in back] == [s.to_dict() for s in videos]
    assert back[0].videos[0].frames[0]["t"] == 0.5 and back[0].videos[0].shots == []
    # as a dataset, claimed hashes (of videos and of frames) are dropped: measured again
    (first, *_) = open_reader("samples", out, image_root=tmp_path)
    assert first.videos[0].sha256 is None and "sha256" not in first.videos[0].frames[0]
    assert first.videos[0].frames[0]["path"] == videos[0].videos[0].frames[0]["path"]


@pytest.mark.parametrize("fmt", ["llava", "openai", "coco"])
def test_formats_without_video_leave_them_out(
    tmp_path: Path, videos: list[Sample], fmt: str
) -> None:
    suffix = ".json" if fmt in ("llava", "coco") else ".jsonl"
    writer = write(fmt, videos, tmp_path / f"out{suffix}", tmp_path)
    assert writer.left_out["video"] == 4


def test_readers_take_each_video_layout(tmp_path: Path) -> None:
    clip = moving_shapes(tmp_path / "v" / "clip.mp4", seconds=1.0)
    rel = "v/clip.mp4"
    layouts = {
        "llava": {"id": "x", "video": rel, "conversations": [
            {"from": "human", "value": "<image>\nWhat happens?"}, {"from": "gpt", "value": "A."}]},
        "sharegpt": {"messages": [{"role": "user", "content": "<video>What happens?"},
                                  {"role": "assistant", "content": "A."}], "videos": [rel]},
        "hf_messages": {"messages": [{"role": "user", "content": [
            {"type": "video"}, {"type": "text", "text": "What happens?"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "A."}]}], "videos": [rel]},
    }  # fmt: skip
    for fmt, record in layouts.items():
        path = tmp_path / f"{fmt}.jsonl"
        path.write_text(json.dumps(record) + "\n")
        (sample,) = open_reader(fmt, path)
        assert not sample.rejected, (fmt, sample.rejection)
        assert [v.path for v in sample.videos] == [str(clip.resolve())]
        assert sample.messages[0]["content"].startswith("<video>"), fmt
        assert "<image>" not in sample.messages[0]["content"]
    (folder,) = open_reader("auto", tmp_path / "v")
    assert folder.videos[0].path == str(clip.absolute()) and not folder.images
