"""sample_frames: the frames each mode picks, decoded at their times, written once,
deterministic; per-shot keyframes fall in the shots PySceneDetect finds; as_images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.video.sample_frames import SampleFrames
from mmrecipe.ops.video.video_intake import VideoIntake
from mmrecipe.sample import Sample, VideoRef
from mmrecipe.testing.videos import moving_shapes


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return moving_shapes(tmp_path_factory.mktemp("clip") / "cut.mp4", seconds=4.0, cut_at=2.0)


def run(
    clip: Path, run_dir: Path, messages: list[dict[str, str]] | None = None, **params: object
) -> Sample:
    sample = Sample(id="v", videos=[VideoRef(path=str(clip))], messages=messages or [])
    (sample,) = VideoIntake().process_batch([sample])
    op = SampleFrames(**params)  # type: ignore[arg-type]
    op.setup(OpContext(run_dir=run_dir))
    (sample,) = op.process_batch([sample])
    assert not sample.rejected, sample.rejection
    return sample


def times(sample: Sample) -> list[float]:
    return [f["t"] for f in sample.videos[0].frames]


def test_uniform_frames_at_segment_centres(clip: Path, tmp_path: Path) -> None:
    sample = run(clip, tmp_path, num_frames=4)
    assert times(sample) == [0.5, 1.5, 2.5, 3.5]
    assert [f["index"] for f in sample.videos[0].frames] == [5, 15, 25, 35]
    first = sample.videos[0].frames[0]
    assert Path(first["path"]).is_relative_to(tmp_path / "images" / "frames")
    # the frame is the one at 0.5 s: the square at x = 8 + 5 * 3 (moving_shapes), yellow
    pixels = np.asarray(Image.open(first["path"]))
    row = pixels[120 // 3 + 12]
    yellow = np.where((row[:, 0] > 200) & (row[:, 1] > 180) & (row[:, 2] < 90))[0]
    assert abs(int(yellow.min()) - 23) <= 2


def test_fps_mode_and_cap(clip: Path, tmp_path: Path) -> None:
    assert times(run(clip, tmp_path, mode="fps", fps=1.0)) == [0.5, 1.5, 2.5, 3.5]
    capped = times(run(clip, tmp_path / "b", mode="fps", fps=5.0, max_frames=4))
    assert len(capped) == 4 and capped == sorted(capped) and capped[-1] > 3.0


def test_shot_keyframes_one_per_shot(clip: Path, tmp_path: Path) -> None:
    sample = run(clip, tmp_path, mode="shots")
    assert sample.videos[0].shots == [[0.0, 2.0], [2.0, 4.0]]
    assert times(sample) == [1.0, 3.0]
    two = run(clip, tmp_path / "b", mode="shots", frames_per_shot=2)
    assert times(two) == [0.5, 1.5, 2.5, 3.5]


def test_deterministic_and_written_once(clip: Path, tmp_path: Path) -> None:
    a = run(clip, tmp_path, mode="random", num_frames=3, seed=7)
    stamps = {f["path"]: Path(f["path"]).stat().st_mtime_ns for f in a.videos[0].frames}
    b = run(clip, tmp_path, mode="random", num_frames=3, seed=7)
    assert a.videos[0].frames == b.videos[0].frames
    assert {f["path"]: Path(f["path"]).stat().st_mtime_ns for f in b.videos[0].frames} == stamps
    c = run(clip, tmp_path, mode="random", num_frames=3, seed=8)
    assert times(c) != times(a)
    for f in a.videos[0].frames:  # each random time lies in its own third of the video
        assert 0 <= f["t"] < 4.0


def test_as_images_replaces_the_placeholder(clip: Path, tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "<video>\nWhat happens?"}]
    sample = run(clip, tmp_path, num_frames=3, as_images=True, messages=messages)
    assert sample.messages[0]["content"] == "<image>\n<image>\n<image>\nWhat happens?"
    (source,) = sample.fields["source_videos"]
    # uniform times 0.67, 2.0, 3.33 s: the first frames at or after them (10 fps)
    assert source["path"] == str(clip) and source["frame_times"] == [0.7, 2.0, 3.4]
    assert len(sample.images) == 3 and not sample.videos  # the frames replace the video


def test_bad_settings_refused() -> None:
    with pytest.raises(ConfigError):
        SampleFrames(num_frames=0)
    with pytest.raises(ConfigError):
        SampleFrames(fps=0)
