"""The HTTP backend against a fault-injecting OpenAI-compatible server: every request ends exactly
once, retries are bounded, hopeless requests give up with a reason, hooking is routed (or
refused) per server kind, and the API key goes nowhere but the Authorization header."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.backends.base import ChatRequest, SamplingParams, require
from mmrecipe.backends.openai import OpenAIBackend
from mmrecipe.errors import BackendError, BackendUnavailable
from mmrecipe.sample import ImageRef
from mmrecipe.stats import StepStats, current_step_stats
from mmrecipe.testing.openai_server import FakeOpenAIServer


@pytest.fixture
def image(tmp_path: Path) -> ImageRef:
    path = tmp_path / "red.png"
    Image.new("RGB", (16, 16), (200, 10, 10)).save(path)
    return ImageRef(path=str(path))


@pytest.fixture
def server_factory() -> Iterator[type[FakeOpenAIServer]]:
    started: list[FakeOpenAIServer] = []

    class Tracked(FakeOpenAIServer):
        def start(self) -> str:
            started.append(self)
            return super().start()

    yield Tracked
    for srv in started:
        srv.stop()


def ask(prompt: str, image: ImageRef | None = None) -> ChatRequest:
    content = f"<image>\n{prompt}" if image else prompt
    return ChatRequest(
        messages=[{"role": "user", "content": content}], images=[image] if image else []
    )


def run_generate(backend: OpenAIBackend, requests: list[ChatRequest], params=None):
    """Run one generate call in a fresh loop with a step-stats context, closing the session."""
    stats = StepStats()

    async def go():
        token = current_step_stats.set(stats)
        try:
            return await backend.generate(requests, params or SamplingParams())
        finally:
            current_step_stats.reset(token)
            await backend.aclose()

    return asyncio.run(go()), stats.usage.get(backend.name, {})


def test_faults_are_retried_and_every_request_ends_exactly_once(server_factory, image):
    faults = {
        "q-rate": ["429", "429"],
        "q-500": ["500", "503"],
        "q-reset": ["reset"],
        "q-bad-json": ["malformed", "malformed"],
        "q-slow": ["timeout"],
        "q-hopeless": "500",
        "q-invalid": "400",
    }
    # a time-out well above a loaded machine's answer time, the hang well above the time-out
    srv = server_factory(faults=faults, hang_s=5.0)
    url = srv.start()
    backend = OpenAIBackend(
        "mllm", "fake-vlm", url, server="openai", timeout_s=1.5, max_retries=3, backoff_s=0.01
    )
    prompts = [f"q-{i}" for i in range(40)] + list(faults)
    gens, usage = run_generate(backend, [ask(p, image) for p in prompts])

    assert len(gens) == len(prompts)
    by_prompt = dict(zip(prompts, gens, strict=True))
    for prompt, gen in by_prompt.items():
        if prompt in ("q-hopeless", "q-invalid"):
            continue
        assert gen.error is None, (prompt, gen.error)
        assert gen.text.startswith(f"answer to: {prompt} ")
    # the server answered each successful request exactly once
    assert srv.repeated() == {}
    assert sum(srv.answered.values()) == len(prompts) - 2
    # retries are bounded: the hopeless one was tried 1 + max_retries times, the 400 once
    attempts = {k.split(" #img")[0]: v for k, v in srv.attempts.items()}
    assert attempts["q-hopeless"] == 4
    assert attempts["q-invalid"] == 1
    assert attempts["q-rate"] == 3 and attempts["q-500"] == 3 and attempts["q-slow"] == 2
    assert "gave up after 4 attempt(s): HTTP 500" in by_prompt["q-hopeless"].error
    assert by_prompt["q-invalid"].error.startswith("HTTP 400")
    assert usage["requests"] == len(prompts)
    assert usage["errors"] == 2
    assert usage["retries"] == 2 + 2 + 1 + 2 + 1 + 3
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0


def test_retry_after_is_honoured(server_factory, image):
    srv = server_factory(faults={"later": ["429"]}, retry_after="0.5")
    backend = OpenAIBackend("m", "fake-vlm", srv.start(), server="openai", backoff_s=0.001)
    t0 = time.perf_counter()
    gens, _ = run_generate(backend, [ask("later", image)])
    assert gens[0].error is None
    assert 0.5 <= time.perf_counter() - t0 < 3


def test_image_is_encoded_once_for_many_requests(server_factory, image):
    srv = server_factory()
    backend = OpenAIBackend("m", "fake-vlm", srv.start(), server="openai")
    gens, _ = run_generate(backend, [ask(f"p{i}", image) for i in range(50)])
    assert all(g.error is None for g in gens)
    assert backend._images.encoded == 1
    part = srv.bodies[0]["messages"][0]["content"][0]
    assert part["image_url"]["url"].startswith("data:image/png;base64,")
    assert srv.bodies[0]["messages"][0]["content"][1] == {"type": "text", "text": "p0"}


def test_auto_detects_plain_server_which_cannot_hook(server_factory, image):
    srv = server_factory("plain")
    backend = OpenAIBackend("mllm", "fake-vlm", srv.start())
    assert backend.server == "openai"
    assert "hook" not in backend.capabilities
    with pytest.raises(BackendError, match="cannot hook") as info:
        require(backend, "hook", step="hook")
    assert len(str(info.value).splitlines()) == 1
    # sampling options a plain server would refuse (HTTP 422) are not sent
    gens, _ = run_generate(backend, [ask("x", image)], SamplingParams(top_k=20, min_tokens=5))
    assert gens[0].error is None


def test_hook_request_to_a_plain_server_fails_fast_with_the_clear_message(server_factory, image):
    srv = server_factory("plain")
    # declared as vLLM but really a plain server (transformers serve, a proxy): it answers 422
    backend = OpenAIBackend("mllm", "fake-vlm", srv.start(), server="vllm", backoff_s=0.01)
    hook = ChatRequest(images=[image], hook=True)
    gens, _ = run_generate(backend, [hook])
    with pytest.raises(BackendError) as info:
        require(OpenAIBackend("mllm", "fake-vlm", srv.base_url, server="openai"), "hook")
    assert gens[0].error.startswith(str(info.value))
    assert "HTTP 422" in gens[0].error
    sent = len(srv.log)
    gens, _ = run_generate(backend, [hook, hook, hook])
    assert all(g.error and "cannot hook" in g.error for g in gens)
    assert len(srv.log) == sent  # refused without asking the server again


def test_vllm_hook_uses_continue_final_message(server_factory, image):
    srv = server_factory("vllm")
    backend = OpenAIBackend("mllm", "fake-vlm", srv.start())
    assert backend.server == "vllm" and "hook" in backend.capabilities
    params = SamplingParams(temperature=1.0, top_k=20, min_tokens=50, max_tokens=512)
    gens, _ = run_generate(backend, [ChatRequest(images=[image], hook=True)], params)
    assert gens[0].error is None
    assert gens[0].text == "What is in this picture? [images=1]"
    body = srv.bodies[-1]
    assert body["add_generation_prompt"] is False and body["continue_final_message"] is True
    assert body["messages"][-1]["content"][-1] == {"type": "text", "text": ""}
    assert body["top_k"] == 20 and body["min_tokens"] == 50


def test_vllm_with_old_transformers_is_detected_and_refused(server_factory, image):
    srv = server_factory("vllm", old_transformers=True)
    backend = OpenAIBackend("mllm", "fake-vlm", srv.start())
    gens, _ = run_generate(backend, [ChatRequest(images=[image], hook=True)] * 3)
    assert all("older than 4.57" in (g.error or "") for g in gens)
    assert not any(b.get("continue_final_message") for b in srv.bodies)


def test_sglang_hook_uses_native_generate_with_known_prefix(server_factory, image):
    srv = server_factory("sglang", model="Qwen/Qwen2.5-VL-7B-Instruct")
    backend = OpenAIBackend("mllm", "Qwen/Qwen2.5-VL-7B-Instruct", srv.start())
    assert backend.server == "sglang" and "hook" in backend.capabilities
    gens, usage = run_generate(
        backend, [ChatRequest(images=[image], hook=True)], SamplingParams(n=2, logprobs=True)
    )
    gen = gens[0]
    assert gen.error is None and len(gen.texts) == 2
    assert gen.token_logprobs is not None and len(gen.token_logprobs) == 2
    (key,) = [k for k in srv.answered if k.startswith("generate:")]
    assert key.endswith("<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>")
    assert usage["requests"] == 1


def test_api_key_is_sent_but_never_shown(server_factory, image, monkeypatch):
    secret = "sk-test-4f1c9e0d2b7a"
    monkeypatch.setenv("MMRECIPE_TEST_KEY", secret)
    srv = server_factory(api_key=secret, faults={"boom": "400"})
    backend = OpenAIBackend("m", "fake-vlm", srv.start(), api_key_env="MMRECIPE_TEST_KEY")
    gens, _ = run_generate(backend, [ask("hi", image), ask("boom", image)])
    assert gens[0].error is None
    assert secret not in (gens[1].error or "") and secret not in repr(backend)
    assert srv.headers_seen[-1]["Authorization"] == f"Bearer {secret}"
    monkeypatch.delenv("MMRECIPE_TEST_KEY")
    with pytest.raises(BackendError, match="MMRECIPE_TEST_KEY"):
        OpenAIBackend("m", "fake-vlm", srv.base_url, api_key_env="MMRECIPE_TEST_KEY")


def test_unreachable_server_in_auto_mode_fails_at_construction():
    with pytest.raises(BackendError, match="cannot reach"):
        OpenAIBackend("m", "x", "http://127.0.0.1:9/v1", connect_timeout_s=1)


def test_unreachable_server_stops_the_run_at_start():
    """Nothing listening is a run-level failure (one line), not a reject per sample; a server
    that dies mid-run is checked by the vlm_generate end-to-end test."""
    with pytest.raises(BackendUnavailable, match=r"cannot reach http://127.0.0.1:9/v1"):
        OpenAIBackend("m", "x", "http://127.0.0.1:9/v1", server="openai", connect_timeout_s=1)


def test_sglang_gets_banned_tokens_as_logit_bias_by_id(server_factory, image):
    srv = server_factory("sglang", model="Qwen/Qwen2.5-VL-7B-Instruct")
    backend = OpenAIBackend("mllm", "Qwen/Qwen2.5-VL-7B-Instruct", srv.start())
    params = SamplingParams(banned_tokens=("<|im_start|>",))
    gens, _ = run_generate(backend, [ChatRequest(images=[image], hook=True)], params)
    assert gens[0].error is None
    (body,) = [b for b in srv.bodies if "sampling_params" in b]
    assert body["sampling_params"]["logit_bias"] == {"151644": -100.0}


def test_sglang_refuses_a_ban_it_cannot_express(server_factory, image):
    srv = server_factory("sglang", model="my-own-vlm")
    backend = OpenAIBackend(
        "mllm", "my-own-vlm", srv.start(), hook_prefix="USER: <image>\n", server="sglang"
    )
    params = SamplingParams(banned_tokens=("<|im_start|>",))
    gens, _ = run_generate(backend, [ChatRequest(images=[image], hook=True)], params)
    assert "bans tokens by id" in (gens[0].error or "")
    assert not [b for b in srv.bodies if "sampling_params" in b]  # nothing sent unmasked
