"""vLLM backend: request building (pure, no vLLM needed) and an end-to-end run on a GPU."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from mmrecipe.backends import build_backend
from mmrecipe.backends.base import ChatRequest, SamplingParams
from mmrecipe.backends.inputs import RequestError
from mmrecipe.backends.vllm import (
    build_chat_messages,
    build_prompt_inputs,
    build_sampling_kwargs,
    to_generation,
)
from mmrecipe.errors import BackendError
from mmrecipe.sample import ImageRef

HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.fixture
def png(tmp_path: Path) -> ImageRef:
    path = tmp_path / "a.png"
    Image.new("RGB", (32, 24), "green").save(path)
    return ImageRef(path=str(path))


def test_oasis_hook_sampling_maps_to_vllm_fields() -> None:
    params = SamplingParams(
        temperature=1.0,
        top_k=20,
        top_p=1.0,
        max_tokens=512,
        min_tokens=50,
        frequency_penalty=1.0,
        presence_penalty=1.0,
        banned_tokens=("<|im_start|>",),
        seed=11,
        n=3,
        logprobs=True,
    )
    assert build_sampling_kwargs(params) == {
        "n": 3,
        "temperature": 1.0,
        "top_p": 1.0,
        "top_k": 20,
        "max_tokens": 512,
        "min_tokens": 50,
        "frequency_penalty": 1.0,
        "presence_penalty": 1.0,
        "bad_words": ["<|im_start|>"],
        "seed": 11,
        "logprobs": 0,
    }


def test_greedy_judge_sampling() -> None:
    kw = build_sampling_kwargs(
        SamplingParams(temperature=0.0, top_k=5, top_p=0.5, stop=("\n\n",), repetition_penalty=1.1)
    )
    assert kw["temperature"] == 0.0 and kw["top_p"] == 1.0 and "top_k" not in kw
    assert kw["stop"] == ["\n\n"] and kw["repetition_penalty"] == 1.1
    assert "logprobs" not in kw and "seed" not in kw and "min_tokens" not in kw


def test_chat_messages_put_pil_images_where_the_placeholders_are(png: ImageRef) -> None:
    request = ChatRequest(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Compare <image> and\n<image>\nplease."},
        ],
        images=[png, png],
    )
    a, b = Image.new("RGB", (2, 2)), Image.new("RGB", (3, 3))
    messages = build_chat_messages(request, [a, b])
    assert messages[0] == {"role": "system", "content": [{"type": "text", "text": "Be brief."}]}
    content = messages[1]["content"]
    assert [p["type"] for p in content] == ["text", "image_pil", "text", "image_pil", "text"]
    assert content[1]["image_pil"] is a and content[3]["image_pil"] is b


def test_unreferenced_images_go_first_and_extra_placeholders_fail(png: ImageRef) -> None:
    request = ChatRequest(messages=[{"role": "user", "content": "What is it?"}], images=[png])
    content = build_chat_messages(request, ["IMG"])[0]["content"]
    assert content == [
        {"type": "image_pil", "image_pil": "IMG"},
        {"type": "text", "text": "What is it?"},
    ]
    bad = ChatRequest(messages=[{"role": "user", "content": "<image><image>"}], images=[png])
    with pytest.raises(RequestError, match="placeholders"):
        build_chat_messages(bad, ["IMG"])


def test_hook_prompt_inputs(png: ImageRef) -> None:
    prefix = "USER: <image>\n"
    inputs = build_prompt_inputs(
        ChatRequest(images=[png], hook=True), prefix, image_token="<image>"
    )
    assert inputs["prompt"] == prefix
    image = inputs["multi_modal_data"]["image"]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 24)
    with pytest.raises(RequestError, match="exactly 1 image"):
        build_prompt_inputs(
            ChatRequest(images=[png, png], hook=True), prefix, image_token="<image>"
        )
    with pytest.raises(RequestError, match="needs an image"):
        build_prompt_inputs(ChatRequest(hook=True), prefix)


def test_broken_image_in_hook_is_a_request_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(RequestError, match="image"):
        build_prompt_inputs(ChatRequest(images=[ImageRef(str(bad))], hook=True), "<image>")


def test_request_output_to_generation() -> None:
    def lp(v: float) -> SimpleNamespace:
        return SimpleNamespace(logprob=v)

    output = SimpleNamespace(
        prompt_token_ids=[1, 2, 3, 4],
        outputs=[
            SimpleNamespace(
                text="hi",
                token_ids=[7, 8],
                finish_reason="stop",
                logprobs=[{7: lp(-0.5)}, {8: lp(-1.5), 9: lp(-0.1)}],
            ),
            SimpleNamespace(
                text="yo", token_ids=[9], finish_reason="length", logprobs=[{9: lp(-2.0)}]
            ),
        ],
    )
    gen = to_generation(output, want_logprobs=True)
    assert gen.texts == ["hi", "yo"] and gen.finish_reasons == ["stop", "length"]
    assert gen.prompt_tokens == 4 and gen.completion_tokens == 3
    assert gen.token_logprobs == [[-0.5, -1.5], [-2.0]]
    assert to_generation(output, want_logprobs=False).token_logprobs is None


@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here")
def test_missing_vllm_is_a_clear_error() -> None:
    with pytest.raises(BackendError, match=r"pip install 'mmrecipe\[vllm\]'"):
        build_backend("v", {"type": "vllm", "model": "Qwen/Qwen2-VL-2B-Instruct"})


@pytest.mark.gpu
def test_vllm_end_to_end_chat_and_hook(tmp_path: Path, png: ImageRef) -> None:
    """On a GPU node: MMRECIPE_VLLM_TEST_MODEL (a real small VLM on disk) or the tiny LLaVA."""
    if not HAS_VLLM:
        pytest.fail("the gpu tests need vLLM: pip install 'mmrecipe[vllm]'")
    from mmrecipe.testing.tiny_models import build_tiny_llava

    model = os.environ.get("MMRECIPE_VLLM_TEST_MODEL") or str(
        build_tiny_llava(tmp_path / "tiny", text_heads=1)
    )
    backend = build_backend(
        "v",
        {
            "type": "vllm",
            "model": model,
            "max_model_len": 512,
            "gpu_memory_utilization": 0.3,
            "engine_kwargs": {"enforce_eager": True},
        },
    )
    assert {"vision", "hook", "logprobs"} <= backend.capabilities
    requests = [
        ChatRequest(messages=[{"role": "user", "content": "<image>\nDescribe."}], images=[png]),
        ChatRequest(images=[png], hook=True),
        ChatRequest(images=[ImageRef(str(tmp_path / "missing.png"))], hook=True),
    ]
    params = SamplingParams(temperature=1.0, top_k=20, max_tokens=16, min_tokens=4, logprobs=True)
    chat, hook, missing = asyncio.run(backend.generate(requests, params))
    for gen in (chat, hook):
        assert gen.error is None and gen.completion_tokens >= 4
        assert gen.token_logprobs is not None
        assert len(gen.token_logprobs[0]) == gen.completion_tokens
    assert missing.error is not None and "missing_file" in missing.error
    asyncio.run(backend.aclose())
