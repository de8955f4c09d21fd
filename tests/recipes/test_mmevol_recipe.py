"""``recipes/mmevol.yaml`` end to end against a scripted MLLM: every evolution and judgement
sees the image, survivors evolve again with their lineage, failed and unparseable evolutions
are eliminated with their reason and raw text, and a rerun pays nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mmrecipe.testing.openai_server import FakeOpenAIServer, by_marker
from mmrecipe.testing.recipe_runs import check_llava_turns, n_images, records, run_recipe, user_text

SEEDS = {"s1": "What is on the table?", "s2": "How many cats?", "s3": "Is it raining?"}
#: question being evolved -> the evolver's reply (JSON, fenced, stray text, garbage)
EVOLVED = {
    "What is on the table?": '{"question": "What colour is the cup on the table?", '
    '"answer": "Blue."}',
    "What colour is the cup on the table?": 'Here it is:\n```json\n{"question": "Why is the '
    'cup likely empty?", "answer": "It is tipped over."}\n```',
    "Why is the cup likely empty?": 'Evolved: [{"question": "True or false: the cup is full. '
    'Explain.", "answer": "False, it is tipped over."}] done',
    "How many cats?": '{"question": "How many cats sleep?", "answer": "Two."}',
    "Is it raining?": "sorry, no idea <<<",
}
#: evolved question -> judge reply
JUDGED = {
    "What colour is the cup on the table?": '{"harder": 4, "correct": 5, "reason": "finer"}',
    "Why is the cup likely empty?": '```json\n{"harder": 5, "correct": 4, "reason": "why"}\n```',
    "True or false: the cup is full. Explain.": "Harder: 3\nCorrect: 5",
    "How many cats sleep?": '{"harder": 2, "correct": 5, "reason": "barely harder"}',
}


def quoted(text: str, label: str) -> str:
    return re.search(label + r':\n"""\n(.*?)\n"""', text, re.S).group(1)


def evolve(body: dict[str, Any]) -> str:
    return EVOLVED[quoted(user_text(body), "Original question")]


def judge(body: dict[str, Any]) -> str:
    return JUDGED[quoted(user_text(body), "Evolved question")]


@pytest.fixture
def mllm() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(
        "plain",
        responder=by_marker({"You check an evolved": judge, "You evolve visual": evolve}),
    )
    server.start()
    yield server
    server.stop()


def test_mmevol_rounds_lineage_elimination(tmp_path: Path, mllm: FakeOpenAIServer) -> None:
    (tmp_path / "img").mkdir()
    seeds = []
    for i, (sid, question) in enumerate(SEEDS.items()):
        Image.new("RGB", (40, 30), (i * 70, 50, 50)).save(tmp_path / "img" / f"{sid}.png")
        seeds.append({"id": sid, "image": f"{sid}.png", "conversations": [
            {"from": "human", "value": f"<image>\n{question}"}, {"from": "gpt", "value": "ok"}]})  # fmt: skip
    (tmp_path / "img" / "seeds.json").write_text(json.dumps(seeds))
    args = [
        *("--input", str(tmp_path / "img" / "seeds.json")),
        *("--set", f"backends.mllm.base_url={mllm.base_url}", "--set", "backends.mllm.model=m"),
        *("--set", "ops.evolve.pick=cycle"),
    ]
    stats = run_recipe("mmevol.yaml", tmp_path / "run", *args)

    assert mllm.bodies and all(n_images(b) == 1 for b in mllm.bodies)  # always with the image
    judge_prompt = next(user_text(b) for b in mllm.bodies if "How many cats sleep?" in user_text(b)
                        and "You check" in user_text(b))  # fmt: skip
    assert 'Original question:\n"""\nHow many cats?\n"""' in judge_prompt

    out = {r["id"]: r for r in records(tmp_path / "run", "data")}
    for rec in out.values():
        check_llava_turns(rec)
    s1 = [out["s1"], out["s1-e1"], out["s1-e1-e2"], out["s1-e1-e2-e3"]]
    assert [r["evolution_round"] for r in s1] == [0, 1, 2, 3]
    assert [r.get("evolved_from") for r in s1] == [None, "s1", "s1-e1", "s1-e1-e2"]
    assert [r.get("evolution_direction") for r in s1[1:]] == [
        "perception", "reasoning", "interaction"]  # fmt: skip
    assert [r["conversations"][0]["value"] for r in s1[1:]] == [
        "<image>\nWhat colour is the cup on the table?",
        "<image>\nWhy is the cup likely empty?",
        "<image>\nTrue or false: the cup is full. Explain.",
    ]
    samples = {r["id"]: r for r in records(tmp_path / "run", "samples")}
    assert samples["s1-e1-e2-e3"]["scores"] == {"evolve_harder": 3, "evolve_correct": 5}
    assert sorted(out) == ["s1", "s1-e1", "s1-e1-e2", "s1-e1-e2-e3", "s2", "s3"]

    rejects = {r["id"]: r for r in records(tmp_path / "run", "rejects")}
    assert {k: (r["op"], r["reason"]) for k, r in rejects.items()} == {
        "s2-e1": ("evolve", "evolution_failed"),
        "s3-e1": ("evolve", "unparseable_evolution"),
    }
    assert "harder 2 (min 3)" in rejects["s2-e1"]["detail"]
    assert "sorry, no idea <<<" in rejects["s3-e1"]["detail"]
    assert rejects["s2-e1"]["fields"]["evolved_from"] == "s2"
    assert stats["steps"]["evolve"]["rejected"] == {
        "evolution_failed": 1, "unparseable_evolution": 1}  # fmt: skip
    # lineages stop at elimination: s2 and s3 were never evolved twice
    assert not any("How many cats sleep?" in user_text(b) and "Original question" in user_text(b)
                   and "You evolve" in user_text(b) for b in mllm.bodies)  # fmt: skip

    paid = sum(mllm.answered.values())
    run_recipe("mmevol.yaml", tmp_path / "run", *args)
    assert sum(mllm.answered.values()) == paid


@pytest.mark.parametrize("pairs", ["all", "first"])
def test_every_pair_of_a_multi_turn_seed_evolves(
    tmp_path: Path, mllm: FakeOpenAIServer, pairs: str
) -> None:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (40, 30), (9, 50, 50)).save(tmp_path / "img" / "m.png")
    turns = [
        {"from": "human", "value": "<image>\nWhat is on the table?"},
        {"from": "gpt", "value": "A cup."},
        {"from": "human", "value": "How many cats?"},
        {"from": "gpt", "value": "Two."},
    ]
    seeds = [{"id": "m", "image": "m.png", "conversations": turns}]
    (tmp_path / "img" / "seeds.json").write_text(json.dumps(seeds))
    args = [
        *("--input", str(tmp_path / "img" / "seeds.json")),
        *("--set", f"backends.mllm.base_url={mllm.base_url}", "--set", "backends.mllm.model=m"),
        *("--set", "ops.evolve.pick=cycle", "--set", f"ops.evolve.pairs={pairs}"),
    ]
    run_recipe("mmevol.yaml", tmp_path / "run", *args)
    out = {r["id"]: r for r in records(tmp_path / "run", "data")}
    rejects = {r["id"]: r["reason"] for r in records(tmp_path / "run", "rejects")}
    assert sorted(out) == ["m", "m-e1", "m-e1-e2", "m-e1-e2-e3"]  # the first pair's lineage
    if pairs == "all":  # the second pair evolved too, on its own lineage (and failed the judge)
        assert rejects == {"m-p1-e1": "evolution_failed"}
    else:
        assert rejects == {}
        assert not any("How many cats?" in user_text(b) for b in mllm.bodies)
