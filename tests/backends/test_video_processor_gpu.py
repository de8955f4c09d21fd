"""On a GPU machine: a real video model through the transformers backend takes the sampled
frames as a video (its processor's ``videos=``), not as images. Needs a local copy of a video
model (``MMRECIPE_VIDEO_TEST_MODEL``, default Qwen/Qwen2-VL-2B-Instruct in the HF cache)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmrecipe.backends.base import ChatRequest, SamplingParams
from mmrecipe.context import OpContext
from mmrecipe.ops.video.sample_frames import SampleFrames
from mmrecipe.ops.video.video_intake import VideoIntake
from mmrecipe.sample import Sample, VideoRef
from mmrecipe.testing.videos import moving_shapes


@pytest.mark.gpu
def test_qwen2_vl_takes_the_frames_as_a_video(tmp_path: Path) -> None:
    import asyncio

    from mmrecipe.backends.transformers import TransformersBackend

    model = os.environ.get("MMRECIPE_VIDEO_TEST_MODEL", "Qwen/Qwen2-VL-2B-Instruct")
    backend = TransformersBackend("v", model, device="cuda", dtype="bfloat16")
    assert backend.video_input == "processor"
    clip = moving_shapes(tmp_path / "clip.mp4", seconds=2.0, cut_at=None)
    (sample,) = VideoIntake().process_batch([Sample(id="v", videos=[VideoRef(str(clip))])])
    op = SampleFrames(num_frames=4)
    op.setup(OpContext(run_dir=tmp_path))
    op.process_batch([sample])
    request = ChatRequest(
        messages=[{"role": "user", "content": "<video>\nWhat moves, and which way?"}],
        videos=sample.videos,
    )
    prep = backend._prepare(0, request)
    assert prep.error is None and "<|video_pad|>" in prep.prompt and len(prep.videos[0]) == 4
    (gen,) = asyncio.run(backend.generate([request], SamplingParams(max_tokens=32)))
    assert gen.error is None and gen.texts[0].strip()
