"""The HTTP backend against a real OpenAI-compatible server: ``transformers serve`` on loopback
serving the tiny random LLaVA (no download, no GPU)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.backends import require
from mmrecipe.backends.base import ChatRequest, SamplingParams
from mmrecipe.backends.openai import OpenAIBackend
from mmrecipe.errors import BackendError
from mmrecipe.sample import ImageRef

pytestmark = pytest.mark.slow  # starts a server (~5 s)


@pytest.fixture
def image(tmp_path: Path) -> ImageRef:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(path)
    return ImageRef(path=str(path))


async def _generate(backend: OpenAIBackend, requests: list[ChatRequest], params: SamplingParams):
    try:
        return await backend.generate(requests, params)
    finally:
        await backend.aclose()


def test_image_chat_against_transformers_serve(
    tiny_llava_server: str, tiny_llava_dir: Path, image: ImageRef
) -> None:
    backend = OpenAIBackend(
        name="mllm", model=str(tiny_llava_dir), base_url=tiny_llava_server, server="auto"
    )
    assert backend.server == "openai"  # detected: neither vLLM nor SGLang
    assert "vision" in backend.capabilities and "hook" not in backend.capabilities
    request = ChatRequest(
        messages=[{"role": "user", "content": "<image>\nWhat is in the picture?"}],
        images=[image],
    )
    (gen,) = asyncio.run(
        _generate(backend, [request], SamplingParams(temperature=1.0, max_tokens=8, seed=1))
    )
    assert gen.error is None
    assert isinstance(gen.text, str) and gen.completion_tokens > 0
    assert gen.prompt_tokens > 4  # the image reached the model as its patch tokens


def test_hook_on_transformers_serve_fails_fast_with_the_reason(
    tiny_llava_server: str, tiny_llava_dir: Path, image: ImageRef
) -> None:
    backend = OpenAIBackend(
        name="mllm", model=str(tiny_llava_dir), base_url=tiny_llava_server, server="auto"
    )
    with pytest.raises(BackendError, match="cannot hook") as info:
        require(backend, "hook", step="instruct")
    assert "type 'vllm'" in str(info.value) and "type 'transformers'" in str(info.value)
    start = time.perf_counter()
    (gen,) = asyncio.run(
        _generate(backend, [ChatRequest(images=[image], hook=True)], SamplingParams(max_tokens=8))
    )
    assert time.perf_counter() - start < 2.0
    assert gen.error is not None and "cannot hook" in gen.error and not gen.texts


def test_hook_misconfigured_as_vllm_is_refused_by_the_server(
    tiny_llava_server: str, tiny_llava_dir: Path, image: ImageRef
) -> None:
    """server: vllm given by mistake: the server answers 422 and the backend says why."""
    backend = OpenAIBackend(
        name="mllm",
        model=str(tiny_llava_dir),
        base_url=tiny_llava_server,
        server="vllm",
        max_retries=3,
    )
    start = time.perf_counter()
    hooks = [ChatRequest(images=[image], hook=True, sample_index=i) for i in range(3)]
    gens = asyncio.run(_generate(backend, hooks, SamplingParams(max_tokens=8)))
    assert time.perf_counter() - start < 10.0  # no retry storm on a 422
    for gen in gens:
        assert gen.error is not None and "cannot hook" in gen.error
