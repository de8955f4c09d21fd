"""Consecutive model steps: pipelined in chunks for servers, whole shards for an in-process
engine, and the same output either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mmrecipe.backends as backends
from mmrecipe.backends.base import ChatRequest, Generation, SamplingParams
from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import ExecutorSpec, InputSpec, OutputSpec, Recipe, step

CALLS: list[int] = []


class ServerLike:
    """Answers at once and records the size of every batch it is handed."""

    def __init__(self, name: str, model: str) -> None:
        self.name, self.model = name, model
        self.capabilities = frozenset({"vision"})

    async def generate(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        CALLS.append(len(requests))
        return [Generation(texts=[f"re: {r.messages[-1]['content']}"]) for r in requests]

    async def aclose(self) -> None:
        pass


class InProcess(ServerLike):
    in_process = True


@pytest.fixture(autouse=True)
def fake_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(backends.BACKEND_TYPES, "server_like", f"{__name__}:ServerLike")
    monkeypatch.setitem(backends.BACKEND_TYPES, "in_process", f"{__name__}:InProcess")
    CALLS.clear()


def run(tmp_path: Path, kind: str) -> list[dict]:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": f"s{i}", "fields": {"q": f"q{i}"}}) + "\n" for i in range(10))
    )
    recipe = Recipe(
        input=InputSpec(format="samples", path=str(src)),
        backends={"m": {"type": kind, "model": "x"}},
        ops=[
            step(
                "vlm_generate",
                "first",
                backend="m",
                prompt="{q}",
                use_images=False,
                output_field="a",
            ),
            step(
                "vlm_generate",
                "second",
                backend="m",
                prompt="{a}",
                use_images=False,
                output_field="b",
            ),
        ],
        output=OutputSpec(formats=["samples"]),
        executor=ExecutorSpec(shard_size=10, io_chunk_size=3),
    )
    out = tmp_path / kind
    stats = LocalExecutor(recipe, out, quiet=True).run().stats
    assert stats["steps"]["second"]["out"] == 10
    return [json.loads(x) for f in sorted((out / "data").glob("*.jsonl")) for x in f.open()]


def test_servers_get_chunks_in_process_engines_whole_shards(tmp_path: Path) -> None:
    piped = run(tmp_path, "server_like")
    assert sorted(CALLS) == [1, 1, 3, 3, 3, 3, 3, 3]  # 10 samples in chunks of 3, two steps
    CALLS.clear()
    whole = run(tmp_path, "in_process")
    assert CALLS == [10, 10]
    assert [(r["id"], r["fields"]) for r in piped] == [(r["id"], r["fields"]) for r in whole]
    assert piped[3]["fields"]["b"] == "re: re: q3"


class Flaky(ServerLike):
    """Fails every prompt that ends in 7 (a reject at a model step)."""

    async def generate(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        gens = await super().generate(requests, params)
        for r, g in zip(requests, gens, strict=True):
            if str(r.messages[-1]["content"]).endswith("7"):
                g.texts, g.error = [], "boom"
        return gens


class FlakyInProcess(Flaky):
    in_process = True


def run_led(tmp_path: Path, kind: str) -> tuple[str, str]:
    """A CPU filter (text_length) before two model steps, rejects at the filter and the first
    model step; returns the data and rejects files' text."""
    src = tmp_path / "in.jsonl"
    rows = [
        {
            "id": f"s{i}",
            "fields": {"q": f"q{i}"},
            "messages": [
                {"role": "user", "content": f"q{i}"},
                {"role": "assistant", "content": "" if i % 5 == 0 else "two words"},
            ],
        }
        for i in range(30)
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = Recipe(
        input=InputSpec(format="samples", path=str(src)),
        backends={"m": {"type": kind, "model": "x"}},
        ops=[
            step("text_length", "length", min_words=1),
            step(
                "vlm_generate",
                "first",
                backend="m",
                prompt="{q}",
                use_images=False,
                output_field="a",
            ),
            step(
                "vlm_generate",
                "second",
                backend="m",
                prompt="{a}",
                use_images=False,
                output_field="b",
            ),
        ],
        output=OutputSpec(formats=["samples"]),
        executor=ExecutorSpec(shard_size=30, io_chunk_size=4, batch_size=2),
    )
    out = tmp_path / kind
    LocalExecutor(recipe, out, quiet=True).run()
    data = "".join(f.read_text() for f in sorted((out / "data").rglob("*.jsonl")))
    rejects = "".join(f.read_text() for f in sorted((out / "rejects").rglob("*.jsonl")))
    return data, rejects


def test_cpu_step_flows_with_model_steps_and_writes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmrecipe.ops.curation.text_length import TextLength

    monkeypatch.setitem(backends.BACKEND_TYPES, "flaky", f"{__name__}:Flaky")
    monkeypatch.setitem(backends.BACKEND_TYPES, "flaky_in_process", f"{__name__}:FlakyInProcess")
    filtered: list[int] = []  # len(CALLS) each time the filter gets a batch
    score = TextLength.score

    def logged_score(self: TextLength, samples: list) -> None:
        filtered.append(len(CALLS))
        score(self, samples)

    monkeypatch.setattr(TextLength, "score", logged_score)
    piped = run_led(tmp_path, "flaky")
    assert max(CALLS) <= 4  # the filter's survivors went to the server chunk by chunk
    assert filtered[-1] > 0  # ... and the first requests left before the filter was done
    CALLS.clear()
    whole = run_led(tmp_path, "flaky_in_process")
    assert max(CALLS) > 4
    assert piped[0] == whole[0] and piped[0].count("\n") == 30 - 6 - 3
    assert piped[1] == whole[1] and '"length"' in piped[1] and "boom" in piped[1]
