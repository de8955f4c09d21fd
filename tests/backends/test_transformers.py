"""The in-process transformers backend with the tiny random LLaVA: chat, image, hook."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.backends import build_backend, require
from mmrecipe.backends.base import ChatRequest, Generation, SamplingParams
from mmrecipe.sample import ImageRef

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def backend(tiny_llava_dir: Path):
    return build_backend(
        "mllm", {"type": "transformers", "model": str(tiny_llava_dir), "device": "cpu"}
    )


@pytest.fixture(scope="module")
def red_png(tmp_path_factory: pytest.TempPathFactory) -> ImageRef:
    path = tmp_path_factory.mktemp("img") / "red.png"
    Image.new("RGB", (60, 40), (200, 30, 30)).save(path)
    return ImageRef(path=str(path))


def run(backend, requests: list[ChatRequest], params: SamplingParams) -> list[Generation]:
    return asyncio.run(backend.generate(requests, params))


def test_capabilities_and_hook_prefix(backend) -> None:
    assert {"vision", "hook", "logprobs"} <= backend.capabilities
    require(backend, "vision", "hook", "logprobs", step="hook")
    assert backend.hook_prefix.endswith("USER: <image>\n")


def test_text_image_and_hook_requests(backend, red_png: ImageRef) -> None:
    requests = [
        ChatRequest(messages=[{"role": "user", "content": "Describe the image."}]),
        ChatRequest(
            messages=[{"role": "user", "content": "<image>\nDescribe the image."}],
            images=[red_png],
        ),
        ChatRequest(images=[red_png], hook=True),
    ]
    params = SamplingParams(
        temperature=1.0, top_k=20, max_tokens=12, min_tokens=12, logprobs=True, n=2, seed=3
    )
    text, image, hook = run(backend, requests, params)
    for gen in (text, image, hook):
        assert gen.error is None
        assert len(gen.texts) == 2 and all(t.strip() for t in gen.texts)
        assert gen.completion_tokens == 2 * 12  # min_tokens == max_tokens
        assert gen.finish_reasons == ["length", "length"]
        assert gen.token_logprobs is not None
        assert [len(lp) for lp in gen.token_logprobs] == [12, 12]
        assert all(lp <= 0.0 for row in gen.token_logprobs for lp in row)
    # the image expands to 4 patch tokens; the hook prompt is the chat prompt minus the query
    assert image.prompt_tokens > hook.prompt_tokens > 4
    assert image.prompt_tokens >= text.prompt_tokens + 4


def test_greedy_is_deterministic_and_seed_reproduces(backend, red_png: ImageRef) -> None:
    request = ChatRequest(messages=[{"role": "user", "content": "<image>\nHi"}], images=[red_png])
    greedy = SamplingParams(temperature=0.0, max_tokens=8)
    assert run(backend, [request], greedy)[0].texts == run(backend, [request], greedy)[0].texts
    seeded = SamplingParams(temperature=1.0, max_tokens=8, seed=7)
    assert run(backend, [request], seeded)[0].texts == run(backend, [request], seeded)[0].texts


def test_broken_image_fails_only_its_request(backend, red_png: ImageRef, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"this is not a jpeg")
    requests = [
        ChatRequest(messages=[{"role": "user", "content": "<image>\nWhat?"}], images=[red_png]),
        ChatRequest(
            messages=[{"role": "user", "content": "<image>\nWhat?"}],
            images=[ImageRef(path=str(broken))],
        ),
        ChatRequest(images=[red_png, red_png], hook=True),
        ChatRequest(messages=[{"role": "user", "content": "<image><image>"}], images=[red_png]),
    ]
    ok, bad, two_hook, too_many = run(backend, requests, SamplingParams(max_tokens=4))
    assert ok.error is None and ok.completion_tokens > 0
    assert bad.error is not None and "not_an_image" in bad.error and not bad.texts
    assert two_hook.error is not None and "exactly 1 image" in two_hook.error
    assert too_many.error is not None and "placeholders" in too_many.error


def test_banned_tokens_are_never_generated(backend) -> None:
    request = ChatRequest(messages=[{"role": "user", "content": "Hello"}])
    params = SamplingParams(temperature=0.0, max_tokens=6)
    first = run(backend, [request], params)[0].text
    tok = backend.tokenizer
    first_id = tok.encode(first, add_special_tokens=False)[0]
    banned = tok.decode([first_id])
    assert tok.encode(banned, add_special_tokens=False) == [first_id]  # round-trips
    again = run(
        backend, [request], SamplingParams(temperature=0.0, max_tokens=6, banned_tokens=(banned,))
    )[0].text
    assert tok.encode(again, add_special_tokens=False)[0] != first_id


def test_batches_larger_than_batch_size(tiny_llava_dir: Path, red_png: ImageRef) -> None:
    small = build_backend(
        "b", {"type": "transformers", "model": str(tiny_llava_dir), "batch_size": 2}
    )
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"<image>\nQ{i}"}], images=[red_png])
        for i in range(5)
    ]
    gens = run(small, requests, SamplingParams(max_tokens=3, min_tokens=3))
    assert [g.completion_tokens for g in gens] == [3] * 5


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    from mmrecipe.errors import BackendError

    with pytest.raises(BackendError, match="cannot load transformers model"):
        build_backend("x", {"type": "transformers", "model": str(tmp_path / "nope")})


def test_frequency_and_presence_penalties_count_generated_tokens_only() -> None:
    import torch

    from mmrecipe.backends.transformers import _OpenAIPenalties

    proc = _OpenAIPenalties(prompt_len=2, frequency=1.0, presence=0.5)
    input_ids = torch.tensor([[3, 3, 1, 1, 2]])  # prompt [3, 3], generated [1, 1, 2]
    scores = proc(input_ids, torch.zeros(1, 4))
    assert scores.tolist() == [[0.0, -2.5, -1.5, 0.0]]


def test_stop_and_length_helpers() -> None:
    from mmrecipe.backends.transformers import _completion_length, _cut_at_stop

    assert _cut_at_stop("abc STOP def", ("STOP",)) == ("abc ", True)
    assert _cut_at_stop("abc", ("STOP",)) == ("abc", False)
    assert _completion_length([5, 6, 2, 0, 0], {2}, 0) == (3, "stop")
    assert _completion_length([5, 6, 7], {2}, 0) == (3, "length")
