"""Magpie ops: seeds by language ratio, the text-only hook on vLLM / SGLang / plain servers, the
text judges, and the whole recipe against the scripted server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mmrecipe.context import OpContext
from mmrecipe.errors import BackendError, ConfigError
from mmrecipe.registry import build_op
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.server_scripts import magpie_script

REPO = Path(__file__).resolve().parents[3]


def seeds(**params):
    return build_op("magpie_seed", "seed", params)


def test_seed_ratios_are_kept_and_shards_agree() -> None:
    op = seeds(num_samples=1000, languages={"en": 0.6, "zh": 0.2, "fr": 0.2})
    whole = op.generate(0, 1000)
    counts = Counter(s.fields["language"] for s in whole)
    assert abs(counts["en"] - 600) <= 2 and abs(counts["zh"] - 200) <= 2
    assert [s.fields for s in op.generate(300, 310)] == [s.fields for s in whole[300:310]]
    zh = next(s for s in whole if s.fields["language"] == "zh")
    assert "Chinese" in zh.fields["magpie_system"]
    en = next(s for s in whole if s.fields["language"] == "en")
    assert en.fields["magpie_system"] is None  # Magpie's bare template
    assert len({s.id for s in whole}) == 1000


def test_seed_refuses_what_it_cannot_do() -> None:
    with pytest.raises(ConfigError, match="no default system prompt for xx"):
        seeds(languages={"xx": 1})
    with pytest.raises(ConfigError, match="not listed"):
        seeds(languages={"en": 1}, leads={"fr": "Bonjour"})
    with pytest.raises(ConfigError, match="ratios"):
        seeds(languages={"en": 0})
    custom = seeds(num_samples=4, languages={"xx": 1}, systems={"xx": "Speak Xish."})
    assert custom.generate(0, 1)[0].fields["magpie_system"] == "Speak Xish."


def hook(tmp_path, srv, server: str, model: str = "Qwen/Qwen2.5-7B-Instruct"):
    spec = {
        "type": "openai",
        "model": model,
        "base_url": srv.base_url,
        "server": server,
        "max_retries": 0,
        "vision": False,
    }
    ctx = OpContext(run_dir=tmp_path / "run", backend_specs={"llm": spec})
    op = build_op("magpie_hook", "hook", {"backend": "llm"})
    op.setup(ctx)
    return op


def run(op, samples):
    async def go():
        try:
            return await op.aprocess_batch(samples)
        finally:
            await op.ctx.aclose()

    return asyncio.run(go())


def test_vllm_server_gets_the_system_prompt_and_an_open_user_turn(tmp_path) -> None:
    samples = seeds(num_samples=6, languages={"en": 1, "zh": 1}, leads={"zh": "请"}).generate(0, 6)
    with FakeOpenAIServer("vllm", responder=magpie_script) as srv:
        out = run(hook(tmp_path, srv, "vllm"), samples)
        bodies = [b for b in srv.bodies if b.get("continue_final_message")]
    assert len(bodies) == 6 and all(b["add_generation_prompt"] is False for b in bodies)
    for sample in out:
        body = next(b for b in bodies if b["messages"][-1]["content"][-1]["text"] in ("", "请"))
        assert all(p["type"] == "text" for b in bodies for p in b["messages"][-1]["content"])
        if sample.fields["language"] == "zh":
            assert sample.fields["instruction"] == "请Explain how a rainbow forms (Chinese)."
        else:
            assert sample.fields["instruction"] == "Explain how a rainbow forms."
        assert body
    systems = Counter(b["messages"][0]["role"] for b in bodies)
    assert systems == {"system": 3, "user": 3}  # the English ones send the bare template


def test_sglang_gets_the_text_family_prefix_and_unknown_families_fail(tmp_path) -> None:
    samples = seeds(num_samples=2, languages={"fr": 1}).generate(0, 2)
    with FakeOpenAIServer("sglang") as srv:
        out = run(hook(tmp_path, srv, "sglang"), samples)
        texts = [k for _p, k, _s in srv.log if k.startswith("generate:")]
    assert texts and texts[0] == (
        "generate:<|im_start|>system\nYou are a helpful assistant. Users write to you in French "
        "only, and you answer in French.<|im_end|>\n<|im_start|>user\n"
    )
    assert out[0].fields["instruction"].startswith("What is shown here?")
    with FakeOpenAIServer("sglang") as srv:
        out = run(hook(tmp_path, srv, "sglang", model="some-unknown-llm"), samples)
    assert {s.rejection.reason for s in out} == {"model_error"}
    assert "not a known text family" in out[0].rejection.detail


def test_a_plain_server_is_refused_at_setup(tmp_path) -> None:
    with FakeOpenAIServer("plain") as srv, pytest.raises(BackendError, match="without an image"):
        hook(tmp_path, srv, "openai")


def test_text_judges_send_no_image_and_use_text_rubrics(tmp_path) -> None:
    samples = seeds(num_samples=1).generate(0, 1)
    samples[0].fields["instruction"] = "List three prime numbers."
    with FakeOpenAIServer("plain", responder=magpie_script) as srv:
        spec = {"type": "openai", "model": "m", "base_url": srv.base_url, "vision": False}
        ctx = OpContext(run_dir=tmp_path / "run", backend_specs={"llm": spec})
        for dim in ("clarity", "solvability", "nonsense"):
            op = build_op(f"magpie_{dim}", dim, {"backend": "llm"})
            op.setup(ctx)
            asyncio.run(op.ascore(samples))
        asyncio.run(ctx.aclose())
        prompts = [b["messages"][-1]["content"] for b in srv.bodies]
    assert samples[0].scores == {"clarity": 5, "solvability": 5, "nonsense": 5}
    assert all("text-only AI assistant" in str(p) and "image shown" not in str(p) for p in prompts)


def test_recipe_runs_against_the_scripted_server_and_reruns_identically(tmp_path) -> None:
    outs = []
    with FakeOpenAIServer("vllm", responder=magpie_script, model="Qwen/Qwen2.5-7B") as srv:
        for attempt in range(2):
            out = tmp_path / f"run{attempt}"
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "mmrecipe",
                    "run",
                    str(REPO / "recipes/magpie.yaml"),
                    "-o",
                    str(out),
                    "--limit",
                    "20",
                    "--set",
                    f"backends.llm.base_url={srv.base_url}",
                ],
                capture_output=True,
                text=True,
                cwd=tmp_path,
            )
            assert done.returncode == 0, done.stderr[-2000:]
            outs.append(out)
    files = sorted(
        p.relative_to(outs[0] / "data") for p in (outs[0] / "data").rglob("*") if p.is_file()
    )
    assert files
    for rel in files:  # same seed, same server: byte-identical data
        assert (outs[0] / "data" / rel).read_bytes() == (outs[1] / "data" / rel).read_bytes()
    lines = (outs[0] / "data" / "shard-00000.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 20
    for row in rows:
        user, answer = row["messages"]
        assert user["content"].startswith("Explain how a rainbow forms")
        assert (row["language"] == "en") == (user["content"] == "Explain how a rainbow forms.")
        assert answer["content"] == f"answer to: {user['content']} [images=0]"
