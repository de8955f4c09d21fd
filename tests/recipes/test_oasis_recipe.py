"""``recipes/oasis.yaml`` end to end through the CLI against scripted model servers.

Each image's colour picks a scenario: what the MLLM writes after the hook, what the LLM
categorizer and the four judges answer. The test checks where every image ends up and why,
the LLaVA output, what each prompt carried, and that re-thresholding a finished run pays no
model call (tightening) or only the new responses (loosening).
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.records import data_records

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "oasis.yaml"

GOOD = "What breed is the dog on the left?"
UNSOLVABLE = "Describe the kitchen."
BORDERLINE = "Is the mug full?"
HALLUCINATED = "How many birds are there?"
BEACH = "A sunny beach with palm trees and a few people walking along the shoreline at noon."

#: red channel -> what the MLLM writes after the hook
HOOKED = {
    10: f"{GOOD} It looks like a beagle, judging by its ears.",
    20: UNSOLVABLE,
    30: BEACH,
    40: "a photo <image> of a cat sitting on a red sofa in a living room",
    50: "Who painted this?",
    60: HALLUCINATED,
    70: BORDERLINE,
}
#: hooked text -> the categorizer's reply
CATEGORY = {
    HOOKED[10]: f"Instruction: {GOOD}",
    HOOKED[20]: f"Instruction: {UNSOLVABLE}",
    HOOKED[30]: "NO_INST",
    HOOKED[40]: "NO_INST",
    HOOKED[50]: "I am not sure what this is.",
    HOOKED[60]: f"Instruction: {HALLUCINATED}",
    HOOKED[70]: f"Instruction: {BORDERLINE}",
}
#: instruction -> dimension -> judge reply
JUDGED = {
    GOOD: {},
    UNSOLVABLE: {"SOLVABILITY": "It needs a kitchen that is not shown. [[2]]"},
    HALLUCINATED: {"HALLUCINATION": "There are 0 birds. [[9]]"},
    BORDERLINE: {"SOLVABILITY": "[[3]]", "CLARITY": "[[3]]"},
}


def _text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")


def _red(body: dict[str, Any]) -> int:
    for part in body["messages"][-1]["content"]:
        if part.get("type") == "image_url":
            data = part["image_url"]["url"].split(",", 1)[1]
            return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB").getpixel((0, 0))[0]
    raise AssertionError("no image in a hook request")


def mllm_reply(body: dict[str, Any]) -> str | None:
    if body.get("continue_final_message"):
        return HOOKED[_red(body)]
    text = _text(body)
    for dimension in ("SOLVABILITY", "CLARITY", "HALLUCINATION"):
        if f"You judge the {dimension}" in text or f"You judge {dimension}" in text:
            instruction = re.search(r'Instruction:\n"""\n(.*?)\n"""', text, re.S).group(1)
            return JUDGED[instruction].get(dimension, "Fine in every respect. [[5]]")
    return None  # the respond step: the fake server's default "answer to: ..."


def llm_reply(body: dict[str, Any]) -> str | None:
    text = _text(body)
    if text.startswith("You sort texts"):  # n > 1 hooks end in " #1", " #2", ...
        return CATEGORY[re.sub(r" #\d+$", "", text.rsplit("\nText: ", 1)[1])]
    if "You judge NONSENSE" in text:
        return "Grammatical and meaningful. [[5]]"
    if text.startswith("You check texts"):
        return "Caption: " + text.rsplit("\nText: ", 1)[1]
    raise AssertionError(f"unexpected LLM prompt: {text[:80]}")


@pytest.fixture
def servers() -> Iterator[tuple[FakeOpenAIServer, FakeOpenAIServer]]:
    mllm = FakeOpenAIServer("vllm", model="fake-mllm", responder=mllm_reply)
    llm = FakeOpenAIServer("plain", model="fake-llm", responder=llm_reply)
    mllm.start()
    llm.start()
    yield mllm, llm
    mllm.stop()
    llm.stop()


def make_images(folder: Path) -> None:
    folder.mkdir()
    for red in HOOKED:
        Image.new("RGB", (32, 24), (red, 120, 200)).save(folder / f"img{red}.png")


def run(tmp_path: Path, mllm: FakeOpenAIServer, llm: FakeOpenAIServer, *extra: str) -> dict:
    args = [
        *("run", str(RECIPE), "--input", str(tmp_path / "images"), "-o", str(tmp_path / "run")),
        *("--quiet", "--set", f"backends.mllm.base_url={mllm.base_url}"),
        *(
            "--set",
            "backends.mllm.model=fake-mllm",
            "--set",
            f"backends.llm.base_url={llm.base_url}",
        ),
        *("--set", "backends.llm.model=fake-llm", "--set", "executor.shard_size=3"),
        *extra,
    ]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "run" / "stats.json").read_text())


def records(run_dir: Path, sub: str) -> list[dict]:
    if sub == "data":
        return data_records(run_dir / sub)
    return [json.loads(x) for f in sorted((run_dir / sub).glob("*.jsonl")) for x in f.open()]


def calls(server: FakeOpenAIServer) -> int:
    return sum(server.answered.values())


@pytest.mark.parametrize("chunk", [64, 1], ids=["step-by-step", "pipelined"])
def test_oasis_funnel_output_and_rethresholding(tmp_path: Path, servers, chunk: int) -> None:
    """The same outcome whether a shard goes through the model steps one step at a time or
    in chunks of one sample that each flow through them on their own (io_chunk_size)."""
    mllm, llm = servers
    make_images(tmp_path / "images")
    chunked = ("--set", f"executor.io_chunk_size={chunk}")
    stats = run(tmp_path, mllm, llm, *chunked)
    run_dir = tmp_path / "run"

    # every image is accounted for: kept, or rejected by the step that dropped it and why
    assert stats["totals"] == {"input": 7, "kept": 2, "rejected": 5}
    assert stats["reject_reasons"] == {
        "categorize:unparseable_category": 1,
        "caption_screen:special_tokens": 1,
        "qc_hallucination:unparseable_score": 1,
        "qc_gate:low_solvability": 1,
        "qc_gate:low_solvability_plus_clarity": 1,
    }
    assert stats["steps"]["categorize"]["routed"] == {"caption": 2}
    rejects = {r["fields"]["hooked_text"]: r for r in records(run_dir, "rejects")}
    assert rejects[HOOKED[60]]["detail"].endswith("[[9]]")  # the raw judge answer is kept
    assert rejects[HOOKED[70]]["scores"] == {
        "solvability": 3,
        "clarity": 3,
        "hallucination": 5,
        "nonsense": 5,
    }
    assert rejects[HOOKED[50]]["detail"] == "I am not sure what this is."

    # LLaVA output: the instruction in the human turn, the answer in the gpt turn
    data = {r["kind"]: r for r in records(run_dir, "data")}
    inst, cap = data["instruction"], data["caption"]
    assert inst["conversations"][0] == {"from": "human", "value": f"<image>\n{GOOD}"}
    assert inst["conversations"][1]["value"] == f"answer to: {GOOD} [images=1]"
    assert inst["domain"] == cap["domain"] == "general"
    assert cap["conversations"][1]["value"] == BEACH
    assert cap["conversations"][0]["value"].startswith("<image>\n")
    kept = {r["fields"]["kind"]: r for r in records(run_dir, "samples")}
    assert kept["instruction"]["scores"] == {
        "solvability": 5,
        "clarity": 5,
        "hallucination": 5,
        "nonsense": 5,
    }
    assert kept["instruction"]["trace"]["hook"]["response"]["texts"] == [HOOKED[10]]

    # what the prompts carried: the official hook sampling, a dimension and [[k]] per judge,
    # the instruction verbatim to the responder
    hooks = [b for b in mllm.bodies if b.get("continue_final_message")]
    assert len(hooks) == 7
    assert {hooks[0][k] for k in ("temperature", "top_k", "top_p", "max_tokens", "min_tokens")} >= {
        1.0,
        20,
        512,
        50,
    }
    # "fake-mllm" is no known family: no penalties, nothing banned (Qwen2.5-VL's are not
    # imposed on every model; tests/ops/oasis/test_oasis_hook.py checks the per-family values)
    assert "bad_words" not in hooks[0] and "frequency_penalty" not in hooks[0]
    judge_texts = [_text(b) for b in mllm.bodies + llm.bodies if "[[k]]" in _text(b)]
    for dimension in ("SOLVABILITY", "CLARITY", "HALLUCINATION", "NONSENSE"):
        assert any(dimension in t for t in judge_texts)
    assert all(b["temperature"] == 0 for b in llm.bodies)
    mllm_calls, llm_calls = calls(mllm), calls(llm)
    # MLLM: 7 hooks, 3 judges x 4 instructions, 1 response; LLM: 7 categorizations, nonsense
    # for the 3 instructions still alive (one died unparseable), 1 caption refinement
    assert (mllm_calls, llm_calls) == (7 + 12 + 1, 7 + 3 + 1)

    # tightening a threshold: the same kept set, and not one model call
    stats = run(tmp_path, mllm, llm, *chunked, "--set", "ops.qc_gate.solvability_min=4")
    assert (calls(mllm), calls(llm)) == (mllm_calls, llm_calls)
    assert stats["totals"]["kept"] == 2
    assert stats["steps"]["qc_solvability"]["usage"]["mllm"]["cache_hits"] == 4
    # the header's figures: every answer reused, none paid; the recipe changed, so this run
    # is the first of its recipe in the dir
    assert stats["cache"]["requests"] == 0
    assert stats["cache"]["hits"] == mllm_calls + llm_calls
    assert stats["cache"]["entries"] >= stats["cache"]["hits"]
    assert stats["runs"]["count"] == 1

    # loosening the sum rule admits the borderline instruction: only its answer is paid for
    stats = run(tmp_path, mllm, llm, *chunked, "--set", "ops.qc_gate.solvability_clarity_sum_min=6")
    assert stats["totals"]["kept"] == 3
    assert (calls(mllm), calls(llm)) == (mllm_calls + 1, llm_calls)


def test_hook_n_expands_each_image(tmp_path: Path, servers) -> None:
    mllm, llm = servers
    make_images(tmp_path / "images")
    stats = run(tmp_path, mllm, llm, "--set", "ops.hook.n=2", "--limit", "1")
    assert stats["steps"]["hook"] == {**stats["steps"]["hook"], "in": 1, "out": 2}
    ids = sorted(r["id"] for r in records(tmp_path / "run", "samples"))
    assert len(ids) == 2 and ids[0].endswith("-h0") and ids[1].endswith("-h1")
    assert sum(1 for b in mllm.bodies if b.get("continue_final_message")) == 1  # one call, n=2


@pytest.mark.slow
def test_oasis_with_tiny_random_models(
    tmp_path: Path, tiny_llava_dir: Path, tiny_llava_server: str
) -> None:
    """The real engines: the MLLM in process (it hooks), the LLM behind ``transformers serve``.
    Random text makes most samples die early; every image must still be accounted for."""
    images = tmp_path / "images"
    make_images(images)
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    args = [
        *("run", str(RECIPE), "--input", str(images), "-o", str(tmp_path / "run"), "--quiet"),
        *(
            "--set",
            "backends.mllm={type: transformers, model: " + str(tiny_llava_dir) + ", device: cpu}",
        ),
        *(
            "--set",
            f"backends.llm.base_url={tiny_llava_server}",
            "--set",
            f"backends.llm.model={tiny_llava_dir}",
        ),
        *(
            "--set",
            "ops.hook.max_tokens=24",
            "--set",
            "ops.hook.min_tokens=4",
            "--set",
            "ops.hook.n=2",
        ),
        *("--set", "ops.categorize.max_tokens=16", "--set", "ops.respond.max_tokens=16"),
    ]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run_dir = tmp_path / "run"
    stats = json.loads((run_dir / "stats.json").read_text())
    kept, rejected = records(run_dir, "samples"), records(run_dir, "rejects")
    assert stats["totals"]["input"] == 8
    assert stats["steps"]["intake"]["rejected"] and stats["steps"]["hook"]["out"] == 14
    # 1 unreadable file + 7 images x 2 hooked texts, each kept or rejected with a reason
    assert len(kept) + len(rejected) == 1 + 14
    assert all(r["op"] and r["reason"] for r in rejected)
    hooked = [r for r in kept + rejected if "hook" in r.get("trace", {})]
    assert len(hooked) == 14 and all(r["trace"]["hook"]["response"]["texts"][0] for r in hooked)
    assert stats["usage"]["llm"]["requests"] >= 14 and stats["usage"]["mllm"]["requests"] >= 7
