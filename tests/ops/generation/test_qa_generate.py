"""qa_generate: guided decoding asked for only where declared or wanted, its contract, and
a backend without json_schema refused at setup when the schema is required."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from mmrecipe.context import OpContext
from mmrecipe.errors import BackendError
from mmrecipe.registry import build_op
from mmrecipe.sample import Sample
from mmrecipe.testing.openai_server import FakeOpenAIServer

ANSWER = '[{"question": "Q?", "answer": "A."}]'


def ask(tmp_path: Path, server: FakeOpenAIServer, **params) -> Sample:
    spec = {"type": "openai", "model": "m", "base_url": server.base_url, "vision": False}
    ctx = OpContext(run_dir=tmp_path / "run", backend_specs={"llm": spec})
    op = build_op("qa_generate", "qa", {"backend": "llm", "prompt": "About {context}", **params})
    op.setup(ctx)
    sample = Sample(id="s", fields={"context": "Captions:\nA dog."})

    async def go() -> list[Sample]:
        try:
            return await op.aprocess_batch([sample])
        finally:
            await ctx.aclose()

    return asyncio.run(go())[0]


@pytest.mark.parametrize("mode, sent", [("auto", True), ("schema", True), ("prompt", False)])
def test_json_mode(tmp_path: Path, mode: str, sent: bool) -> None:
    with FakeOpenAIServer("plain", responder=lambda body: ANSWER) as server:
        sample = ask(tmp_path, server, json_mode=mode)
    (body,) = server.bodies
    assert ("response_format" in body) is sent
    assert body["messages"][-1]["content"] == "About Captions:\nA dog."
    assert sample.messages == [
        {"role": "user", "content": "Q?"},  # a sample without images gets no <image>
        {"role": "assistant", "content": "A."},
    ]


def test_schema_required_but_not_declared(tmp_path: Path) -> None:
    op = build_op("qa_generate", "qa", {"backend": "llm", "prompt": "x", "json_mode": "schema"})
    backend = SimpleNamespace(name="llm", model="tiny", capabilities=frozenset({"logprobs"}))
    ctx = SimpleNamespace(backend=lambda name: backend)
    with pytest.raises(BackendError, match="lacks json_schema"):
        op.setup(ctx)  # type: ignore[arg-type]


def test_contract_names_prompt_fields() -> None:
    op = build_op("qa_generate", "qa", {"backend": "b", "prompt": 'Use {caption} {"json": 1}'})
    assert op.reads == ("fields.caption",)
    assert set(op.writes) == {"fields.qa", "messages", "trace"}
