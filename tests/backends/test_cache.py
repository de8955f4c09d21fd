"""The request cache: a repeated request is answered from the run's state store, never twice by
the server; failures are not cached; random sampling keeps samples apart by index."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.backends.base import ChatRequest, SamplingParams
from mmrecipe.backends.cache import CachedBackend
from mmrecipe.backends.openai import OpenAIBackend
from mmrecipe.sample import ImageRef
from mmrecipe.state import StateStore
from mmrecipe.stats import StepStats, current_step_stats
from mmrecipe.testing.openai_server import FakeOpenAIServer


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    srv = FakeOpenAIServer("vllm", faults={"hopeless": "500"})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def images(tmp_path: Path) -> list[ImageRef]:
    refs = []
    for i, color in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        path = tmp_path / f"img{i}.png"
        Image.new("RGB", (12, 12), color).save(path)
        refs.append(ImageRef(path=str(path)))
    return refs


def cached(server: FakeOpenAIServer, state: StateStore) -> CachedBackend:
    inner = OpenAIBackend(
        "mllm", "fake-vlm", server.base_url, server="vllm", max_retries=1, backoff_s=0.01
    )
    return CachedBackend(inner, state)


def generate(backend: CachedBackend, requests, params=None):
    stats = StepStats()

    async def go():
        token = current_step_stats.set(stats)
        try:
            return await backend.generate(requests, params or SamplingParams())
        finally:
            current_step_stats.reset(token)
            await backend.aclose()

    return asyncio.run(go()), dict(stats.usage.get("mllm", {}))


def ask(prompt: str, image: ImageRef) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": f"<image>{prompt}"}], images=[image])


def test_second_ask_is_served_from_the_cache(server, images, tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    requests = [ask("describe", ref) for ref in images] + [ask("hopeless", images[0])]
    first, usage1 = generate(cached(server, state), requests)
    assert [g.cached for g in first] == [False] * 4
    assert first[3].error is not None
    assert usage1["cache_hits"] == 0 and usage1["requests"] == 4 and usage1["errors"] == 1

    # a new backend on the same state (a rerun): answers come back equal and marked cached
    second, usage2 = generate(cached(server, state), requests)
    assert [g.text for g in second[:3]] == [g.text for g in first[:3]]
    assert [g.cached for g in second[:3]] == [True] * 3
    assert server.repeated() == {}
    # the failure was not cached: it was asked again (and failed again)
    assert second[3].error is not None and not second[3].cached
    assert usage2["cache_hits"] == 3 and usage2["requests"] == 1
    assert state.cache_size() == 3


def test_same_content_under_another_path_hits(server, images, tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    generate(cached(server, state), [ask("describe", images[0])])
    copy = tmp_path / "elsewhere.png"
    shutil.copy(images[0].path, copy)
    gens, usage = generate(cached(server, state), [ask("describe", ImageRef(path=str(copy)))])
    assert gens[0].cached and usage["cache_hits"] == 1


def test_key_depends_on_params_hook_and_sample_index(server, images, tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    backend = cached(server, state)
    req = ask("describe", images[0])
    generate(backend, [req])
    gens, _ = generate(backend, [req], SamplingParams(max_tokens=7))
    assert not gens[0].cached  # other params, other answer
    hook = ChatRequest(images=[images[0]], hook=True)
    gens, _ = generate(backend, [hook])
    assert not gens[0].cached
    # at temperature > 0 two samples of one request are two entries; at 0 the index is ignored
    hot = SamplingParams(temperature=1.0)
    s0 = ChatRequest(messages=req.messages, images=req.images, sample_index=0)
    s1 = ChatRequest(messages=req.messages, images=req.images, sample_index=1)
    gens, usage = generate(backend, [s0, s1], hot)
    assert usage["cache_hits"] == 0 and usage["requests"] == 2
    gens, usage = generate(backend, [s0, s1], hot)
    assert usage["cache_hits"] == 2
    # at temperature 0 the index is ignored: both are the first request of this test
    gens, usage = generate(backend, [s0, s1])
    assert usage["cache_hits"] == 2 and all(g.cached for g in gens)


def test_identical_requests_in_one_batch_are_paid_once(server, images, tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    gens, usage = generate(cached(server, state), [ask("same", images[1])] * 5)
    assert len({g.text for g in gens}) == 1 and all(g.error is None for g in gens)
    assert usage["requests"] == 1 and usage["cache_hits"] == 4
    assert sum(server.answered.values()) == 1
