"""synth_rewrite (R-CoT's LLM stage): a rewrite is kept only when the generator's verifier
accepts the LLM's final answer and the question still asks for the same answer form; rejects
carry the model's answer and the computed one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmrecipe.context import OpContext
from mmrecipe.registry import build_op
from mmrecipe.sample import Sample
from mmrecipe.synth.base import get_generator
from mmrecipe.synth.source import generate_samples
from mmrecipe.testing.openai_server import FakeOpenAIServer


def synthetic(tmp_path: Path, kind: str, index: int = 0) -> Sample:
    gen = get_generator(kind)()
    return generate_samples(gen, index, index + 1, 3, 2, tmp_path / "img")[0]


def rounded(tmp_path: Path) -> Sample:
    """An analytic-geometry sample whose question asks for two decimals."""
    for index in range(200):
        sample = synthetic(tmp_path, "analytic_geometry", index)
        if "two decimal" in sample.messages[0]["content"]:
            return sample
    raise AssertionError("no rounded question in 200 samples")


def rewrite(tmp_path: Path, sample: Sample, reply: Callable[[dict[str, Any]], str]) -> Sample:
    with FakeOpenAIServer("plain", responder=reply) as server:
        spec = {"type": "openai", "model": "m", "base_url": server.base_url, "vision": False}
        ctx = OpContext(run_dir=tmp_path / "run", backend_specs={"llm": spec})
        op = build_op("synth_rewrite", "rewrite", {"backend": "llm"})
        op.setup(ctx)

        async def go() -> list[Sample]:
            try:
                return await op.aprocess_batch([sample])
            finally:
                await ctx.aclose()

        return asyncio.run(go())[0]


def reply_with(question: str, final: str) -> Callable[[dict[str, Any]], str]:
    body = {
        "question": question,
        "solution": "1. Read the figure.\n2. Compute.",
        "final_answer": final,
    }
    return lambda request: json.dumps(body)


def test_kept_rewrite_replaces_the_turns_and_passes_synth_verify(tmp_path: Path) -> None:
    sample = rounded(tmp_path)
    answer, templated = sample.fields["answer"], sample.messages[0]["content"]
    asked: list[str] = []

    def reply(request: dict[str, Any]) -> str:
        asked.append(request["messages"][-1]["content"])
        return reply_with("In the picture, work it out. Round to two decimal places.", answer)(
            request
        )

    out = rewrite(tmp_path, sample, reply)
    assert out.rejection is None
    assert templated.replace("<image>\n", "") in asked[0]  # the LLM saw the templated question
    assert (
        out.messages[0]["content"]
        == "<image>\nIn the picture, work it out. Round to two decimal places."
    )
    assert out.messages[1]["content"].endswith(f"Answer: {answer}")
    assert out.fields["templated_question"] in templated and out.fields["rewritten"] is True
    verify = build_op("synth_verify", "verify", {})
    assert verify.process_batch([out])[0].rejection is None


def test_wrong_final_answer_is_rejected_with_both_values(tmp_path: Path) -> None:
    sample = rounded(tmp_path)
    answer = sample.fields["answer"]
    wrong = f"{float(answer) + 1:.2f}"
    out = rewrite(tmp_path, sample, reply_with("Find it. Round to two decimal places.", wrong))
    assert out.rejection is not None and out.rejection.reason == "rewrite_mismatch"
    assert repr(wrong) in out.rejection.detail and repr(answer) in out.rejection.detail


def test_rewrite_that_drops_the_answer_form_is_rejected(tmp_path: Path) -> None:
    sample = rounded(tmp_path)
    out = rewrite(tmp_path, sample, reply_with("Find it.", sample.fields["answer"]))
    assert out.rejection is not None and out.rejection.reason == "rewrite_dropped_format"


def test_unparsable_reply_and_interleaved_samples(tmp_path: Path) -> None:
    out = rewrite(tmp_path, rounded(tmp_path), lambda request: "I would rather not.")
    assert out.rejection is not None and out.rejection.reason == "rewrite_unparsable"
    maze = synthetic(tmp_path, "maze")
    out = rewrite(tmp_path, maze, reply_with("x", "y"))
    assert out.rejection is not None and out.rejection.reason == "not_synthetic"
