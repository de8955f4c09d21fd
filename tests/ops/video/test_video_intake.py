"""video_intake: one reject with its reason for every kind of broken video, and the dataset
root rules for video names (symlinks out, traversal, FIFOs) through the readers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mmrecipe.context import OpContext
from mmrecipe.io import open_reader
from mmrecipe.ops.video.video_intake import VideoIntake
from mmrecipe.sample import Sample, VideoRef
from mmrecipe.testing.videos import moving_shapes, static_clip, truncated_copy, video_set


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return video_set(tmp_path_factory.mktemp("clips"))


def intake(paths: list[Path | str], tmp_path: Path, **params: object) -> list[Sample]:
    op = VideoIntake(**params)  # type: ignore[arg-type]
    op.setup(OpContext(run_dir=tmp_path))
    samples = [Sample(id=str(i), videos=[VideoRef(path=str(p))]) for i, p in enumerate(paths)]
    return op.process_batch(samples)


def reasons(samples: list[Sample]) -> list[str | None]:
    return [s.rejection.reason if s.rejection else None for s in samples]


def test_good_videos_get_their_facts(clips: dict[str, Path], tmp_path: Path) -> None:
    (sample,) = intake([clips["shapes"]], tmp_path)
    assert not sample.rejected
    ref = sample.videos[0]
    assert (ref.duration, ref.fps, ref.frame_count) == (4.0, 10.0, 40)
    assert (ref.width, ref.height, ref.codec) == (160, 120, "h264")
    assert ref.size_bytes == clips["shapes"].stat().st_size and len(ref.sha256 or "") == 64


def test_broken_files_one_reason_each(clips: dict[str, Path], tmp_path: Path) -> None:
    names = ["empty", "notavideo", "truncated"]
    out = intake([clips[n] for n in names] + [tmp_path / "gone.mp4"], tmp_path)
    assert reasons(out) == ["zero_length", "undecodable", "truncated", "missing_file"]


def test_truncated_faststart_file_is_caught_by_its_last_frame(tmp_path: Path) -> None:
    """With the index at the front, FFmpeg opens a cut file; the frames stop early."""
    import av

    whole = tmp_path / "fast.mp4"
    with av.open(str(whole), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        import numpy as np

        for i in range(60):
            frame = np.full((48, 64, 3), i * 4 % 255, dtype=np.uint8)
            frame[:, (i % 60) : (i % 60) + 4] = 255
            for p in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    cut = truncated_copy(whole, tmp_path / "cut.mp4", keep=0.5)
    assert reasons(intake([whole, cut], tmp_path)) == [None, "truncated"]


def test_limits(clips: dict[str, Path], tmp_path: Path) -> None:
    shapes = clips["shapes"]
    assert reasons(intake([shapes], tmp_path, max_seconds=2.0)) == ["too_long"]
    assert reasons(intake([shapes], tmp_path, min_seconds=10.0)) == ["too_short"]
    assert reasons(intake([shapes], tmp_path, max_fps=5.0)) == ["bad_fps"]
    assert reasons(intake([shapes], tmp_path, min_side=200)) == ["bad_size"]
    assert reasons(intake([shapes], tmp_path, max_file_bytes=100)) == ["file_too_large"]
    slow = static_clip(tmp_path / "slow.mp4", seconds=4, fps=1)  # 1 fps: fine at min_fps 1
    assert reasons(intake([slow], tmp_path, min_fps=2.0)) == ["bad_fps"]


def test_no_video_reject_or_keep(tmp_path: Path) -> None:
    op = VideoIntake()
    assert reasons(op.process_batch([Sample(id="a")])) == ["no_video"]
    assert reasons(VideoIntake(no_video="keep").process_batch([Sample(id="a")])) == [None]


def test_fifo_is_not_a_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    assert reasons(intake([fifo], tmp_path)) == ["not_a_file"]  # never opened: no hang


def test_root_rules_for_video_names(clips: dict[str, Path], tmp_path: Path) -> None:
    """Records naming videos outside the root, by traversal or by symlink, are rejected by
    the readers with the same reasons as images; the folder reader refuses a FIFO."""
    root = tmp_path / "ds"
    root.mkdir()
    outside = moving_shapes(tmp_path / "outside.mp4", seconds=1.0)
    (root / "link.mp4").symlink_to(outside)
    (root / "ok.mp4").write_bytes(clips["shapes"].read_bytes())
    os.mkfifo(root / "fifo.mp4")
    records = [
        {"messages": [{"role": "user", "content": "<video>Hi"}], "videos": ["ok.mp4"]},
        {"messages": [{"role": "user", "content": "<video>Hi"}], "videos": ["../outside.mp4"]},
        {"messages": [{"role": "user", "content": "<video>Hi"}], "videos": ["link.mp4"]},
        {"messages": [{"role": "user", "content": "<video>Hi"}], "videos": ["/etc/passwd"]},
        {"messages": [{"role": "user", "content": "<video>Hi"}], "videos": ["fifo.mp4"]},
    ]
    data = root / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    got = [s.rejection.reason if s.rejection else None for s in open_reader("sharegpt", data)]
    assert got == [None, "image_outside_root", "image_outside_root", "image_outside_root",
                   "not_a_file"]  # fmt: skip
    folder = {
        s.fields["source_file"]: (s.rejection.reason if s.rejection else None)
        for s in open_reader("video_folder", root)
    }
    assert folder == {"link.mp4": "image_outside_root", "ok.mp4": None, "fifo.mp4": "not_a_file"}
