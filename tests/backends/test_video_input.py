"""Videos through the OpenAI-compatible backend: video parts where the server takes them
(vLLM, SGLang), sampled frames as images elsewhere, clear refusals, cache keys that change
with the frames, and the video hook per model family."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mmrecipe.backends.base import ChatRequest, SamplingParams
from mmrecipe.backends.cache import CachedBackend
from mmrecipe.backends.openai import OpenAIBackend
from mmrecipe.backends.video_input import video_hook_prefix
from mmrecipe.context import OpContext
from mmrecipe.errors import BackendError
from mmrecipe.ops.video.sample_frames import SampleFrames
from mmrecipe.ops.video.video_intake import VideoIntake
from mmrecipe.sample import Sample, VideoRef
from mmrecipe.state import StateStore
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.videos import moving_shapes

QWEN = "Qwen/Qwen2.5-VL-7B-Instruct"


@pytest.fixture
def video(tmp_path: Path) -> VideoRef:
    clip = moving_shapes(tmp_path / "clip.mp4", seconds=2.0, cut_at=1.0)
    (sample,) = VideoIntake().process_batch([Sample(id="v", videos=[VideoRef(str(clip))])])
    op = SampleFrames(num_frames=3)
    op.setup(OpContext(run_dir=tmp_path))
    op.process_batch([sample])
    return sample.videos[0]


@pytest.fixture
def servers():
    started: list[FakeOpenAIServer] = []
    yield started
    for srv in started:
        srv.stop()


def serve(started: list[FakeOpenAIServer], kind: str) -> FakeOpenAIServer:
    srv = FakeOpenAIServer(kind, model=QWEN)  # type: ignore[arg-type]
    srv.start()
    started.append(srv)
    return srv


def generate(backend, requests):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        try:
            return await backend.generate(requests, SamplingParams())
        finally:
            await backend.aclose()

    return asyncio.run(go())


def ask(video: VideoRef, text: str = "Before <video> after") -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], videos=[video])


def test_vllm_gets_a_video_part_where_the_placeholder_is(servers, video) -> None:
    srv = serve(servers, "vllm")
    backend = OpenAIBackend("m", QWEN, srv.base_url)
    assert backend.video_input == "video_url" and "video" in backend.capabilities
    (gen,) = generate(backend, [ask(video)])
    assert gen.error is None and "[videos=1]" in gen.texts[0]
    parts = srv.bodies[0]["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "video_url", "text"]
    assert parts[1]["video_url"]["url"].startswith("data:video/mp4;base64,")


def test_plain_server_gets_the_sampled_frames(servers, video) -> None:
    srv = serve(servers, "plain")
    backend = OpenAIBackend("m", QWEN, srv.base_url)
    assert backend.video_input == "frames"
    (gen,) = generate(backend, [ask(video, "<video>\nWhat happens?")])
    assert gen.error is None and "[images=3]" in gen.texts[0]
    parts = srv.bodies[0]["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["image_url"] * 3 + ["text"]


def test_refusals(servers, video, tmp_path: Path) -> None:
    srv = serve(servers, "plain")
    with pytest.raises(BackendError, match="needs a vLLM or SGLang server"):
        OpenAIBackend("m", QWEN, srv.base_url, video_input="video_url")
    unsampled = VideoRef(path=video.path, sha256=video.sha256)
    (gen,) = generate(OpenAIBackend("m", QWEN, srv.base_url), [ask(unsampled)])
    assert gen.error and "no sampled frames" in gen.error
    big = serve(servers, "vllm")
    (gen,) = generate(OpenAIBackend("m", QWEN, big.base_url, max_video_bytes=10), [ask(video)])
    assert gen.error and "max_video_bytes" in gen.error


def test_cache_key_includes_the_frames(servers, video, tmp_path: Path) -> None:
    srv = serve(servers, "plain")
    cached = CachedBackend(OpenAIBackend("m", QWEN, srv.base_url), StateStore(tmp_path / "s.db"))
    other = VideoRef.from_dict({**video.to_dict(), "frames": video.frames[:2]})
    keys = cached._keys([ask(video), ask(other), ask(video)], SamplingParams())
    assert keys[0] == keys[2] and keys[0] != keys[1]


def test_video_hook_per_family(servers, video) -> None:
    srv = serve(servers, "sglang")
    backend = OpenAIBackend("m", QWEN, srv.base_url)
    (gen,) = generate(backend, [ChatRequest(videos=[video], hook=True)])
    assert gen.error is None and "[videos=1]" in gen.texts[0]
    body = srv.bodies[0]
    assert body["text"].endswith("<|vision_start|><|video_pad|><|vision_end|>")
    assert body["video_data"].startswith("data:video/mp4") and "image_data" not in body
    with pytest.raises(BackendError, match="no known video placeholder"):
        video_hook_prefix("liuhaotian/llava-1.5-7b", "USER: <image>\n")
