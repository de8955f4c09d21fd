"""The STEM recipes through the CLI: answers and captions verified in the output, and the R-CoT
rewrite stage against a fake OpenAI server (kept when right, rejected with both values when
the model's final answer is wrong)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mmrecipe.cli import main
from mmrecipe.synth.base import get_generator
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.records import data_records

REPO = Path(__file__).resolve().parents[2]


def run(recipe: str, out: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        main, ["run", str(REPO / "recipes" / recipe), "-o", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "stats.json").read_text())


@pytest.mark.parametrize("recipe", ["synth-stem.yaml", "synth-caption.yaml"])
def test_recipe_verifies_every_answer(recipe: str, tmp_path: Path) -> None:
    stats = run(recipe, tmp_path / "run", "--limit", "8")
    assert stats["totals"]["rejected"] == 0, stats
    records = data_records(tmp_path / "run" / "data")
    assert len(records) == 8
    for rec in records:
        assert (tmp_path / "run" / rec["image"]).is_file()
        kind = rec["generator"]
        assert get_generator(kind)().verify(rec["ground_truth"], rec["answer"]) is None


def rcot_model(wrong_every: int) -> FakeOpenAIServer:
    """Rewrites by prefixing the templated question; answers with the engine's last line, but
    every ``wrong_every``-th request with a changed number."""
    calls = {"n": 0}

    def reply(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        question = prompt.split("Templated question:\n", 1)[1].split("\n\nReference", 1)[0]
        reference = prompt.split("correct):\n", 1)[1].split("\n\nReply with", 1)[0]
        final = reference.strip().splitlines()[-1]
        calls["n"] += 1
        if calls["n"] % wrong_every == 0:
            final = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), final, count=1)
            final = final if final != reference.strip().splitlines()[-1] else final + "0"
        text = {
            "question": f"A student asks: {question}",
            "solution": "1. Read.\n2. Solve.",
            "final_answer": final,
        }
        return json.dumps(text)

    return FakeOpenAIServer("plain", responder=reply)


def test_rcot_rewrite_recipe_keeps_right_rewrites_and_rejects_wrong_ones(tmp_path: Path) -> None:
    with rcot_model(wrong_every=4) as server:
        stats = run(
            "synth-stem-rewrite.yaml",
            tmp_path / "run",
            *("--limit", "12", "--set", f"backends.llm.base_url={server.base_url}"),
            *("--set", "backends.llm.model=m", "--set", "backends.llm.server=openai"),
        )
    records = data_records(tmp_path / "run" / "data")
    rejects = [
        json.loads(line)
        for f in (tmp_path / "run" / "rejects").glob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    assert len(records) + len(rejects) == 12 and len(rejects) == 3, stats
    for rec in records:
        assert rec["conversations"][0]["value"].startswith("<image>\nA student asks: ")
        assert rec["conversations"][1]["value"].endswith(f"Answer: {rec['answer']}")
    for rej in rejects:
        detail = json.dumps(rej)
        assert "rewrite_mismatch" in detail and "computed answer" in detail
