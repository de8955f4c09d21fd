"""The hooking op against servers that can and cannot hook."""

from __future__ import annotations

import asyncio

import pytest
from PIL import Image

from mmrecipe.context import OpContext
from mmrecipe.errors import BackendError
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.testing.openai_server import FakeOpenAIServer


def hook_op(tmp_path, url: str, server: str, **params):
    spec = {"type": "openai", "model": "m", "base_url": url, "server": server, "max_retries": 0}
    ctx = OpContext(run_dir=tmp_path / "run", backend_specs={"mllm": spec})
    op = build_op("oasis_hook", "hook", {"backend": "mllm", **params})
    op.setup(ctx)
    return op


def test_a_server_that_cannot_hook_fails_at_setup(tmp_path):
    with FakeOpenAIServer("plain") as srv, pytest.raises(BackendError) as err:
        hook_op(tmp_path, srv.base_url, "openai")
    assert "step 'hook'" in str(err.value) and "server: vllm" in str(err.value)


def test_hooked_text_children_and_rejects(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (16, 16)).save(path)
    with FakeOpenAIServer("vllm", faults={"hook:": "500"}) as srv:
        op = hook_op(tmp_path, srv.base_url, "vllm", n=3)
        samples = [Sample(id="a", images=[ImageRef(path=str(path))]), Sample(id="empty")]

        async def go():
            try:
                return await op.aprocess_batch(samples)
            finally:
                await op.ctx.aclose()

        out = asyncio.run(go())
    assert [(s.id, s.rejection.reason) for s in out] == [
        ("a", "model_error"),
        ("empty", "no_image"),
    ]


def test_n_children_keep_their_own_text(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (16, 16)).save(path)
    with FakeOpenAIServer("vllm") as srv:
        op = hook_op(tmp_path, srv.base_url, "vllm", n=3)

        async def go():
            try:
                return await op.aprocess_batch([Sample(id="a", images=[ImageRef(path=str(path))])])
            finally:
                await op.ctx.aclose()

        out = asyncio.run(go())
    assert [s.id for s in out] == ["a-h0", "a-h1", "a-h2"]
    texts = [s.fields["hooked_text"] for s in out]
    assert len(set(texts)) == 3 and all(s.fields["parent_id"] == "a" for s in out)
    assert [s.trace["hook"]["response"]["texts"] for s in out] == [[t] for t in texts]


def test_text_past_the_end_of_the_user_turn_is_cut(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (16, 16)).save(path)
    raw = "What is on the table?<|im_end|>\n<|im_start|>assistant\nA red cup."
    with FakeOpenAIServer("vllm", responder=lambda body: raw) as srv:
        op = hook_op(tmp_path, srv.base_url, "vllm")

        async def go():
            try:
                return await op.aprocess_batch([Sample(id="a", images=[ImageRef(path=str(path))])])
            finally:
                await op.ctx.aclose()

        (sample,) = asyncio.run(go())
    assert sample.fields["hooked_text"] == "What is on the table?"
    assert sample.trace["hook"]["response"]["texts"] == [raw]


def test_hook_sampling_defaults_follow_the_model_family() -> None:
    from mmrecipe.backends.hooking import hook_sampling_for

    family, qwen = hook_sampling_for("Qwen/Qwen2.5-VL-72B-Instruct")
    assert family.startswith("Qwen2") and qwen == {
        "frequency_penalty": 1.0,
        "presence_penalty": 1.0,
        "banned_tokens": ["<|im_start|>"],
    }
    _, llava = hook_sampling_for("llava-hf/llava-1.5-7b-hf")
    assert llava == {"frequency_penalty": 0.0, "presence_penalty": 0.0, "banned_tokens": []}
    _, qwen3 = hook_sampling_for("Qwen/Qwen3-VL-8B-Instruct")
    assert qwen3["banned_tokens"] == ["<|im_start|>"] and qwen3["frequency_penalty"] == 0.0
    _, unknown = hook_sampling_for("my-own-vlm")
    assert unknown["banned_tokens"] == []


def test_a_recipe_value_overrides_the_family() -> None:
    from types import SimpleNamespace

    from mmrecipe.ops.oasis.oasis_hook import OasisHook

    class Ctx(SimpleNamespace):
        def backend(self, name: str) -> object:
            return SimpleNamespace(
                model="Qwen/Qwen2.5-VL-7B-Instruct", capabilities=frozenset({"vision", "hook"})
            )

    from mmrecipe.registry import build_op

    op = build_op("oasis_hook", "hook", {"backend": "mllm", "presence_penalty": 0.5})
    assert isinstance(op, OasisHook)
    op.setup(Ctx(run_dir=None))
    assert op.params.presence_penalty == 0.5  # the recipe's value
    assert op.params.frequency_penalty == 1.0 and op.params.banned_tokens == ("<|im_start|>",)
