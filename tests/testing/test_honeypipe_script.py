"""The fake server's ``honeypipe`` script carries every sample through
``recipes/honeypipe.yaml`` (what the README's model-free dry run relies on)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from mmrecipe.testing.openai_server import SCRIPTS, FakeOpenAIServer
from mmrecipe.testing.recipe_runs import check_llava_turns, records, run_recipe


def test_dry_run_of_honeypipe(tmp_path: Path) -> None:
    data = []
    rng = np.random.default_rng(0)
    for i in range(3):
        pixels = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{i}.png")
        question = f"<image>\nHow many shapes are in picture {i}? Answer directly."
        turns = [{"from": "human", "value": question}, {"from": "gpt", "value": str(i)}]
        data.append({"id": f"s{i}", "image": f"{i}.png", "conversations": turns})
    (tmp_path / "data.json").write_text(json.dumps(data))
    with FakeOpenAIServer(responder=SCRIPTS["honeypipe"]) as server:
        urls = [f"backends.{b}.base_url={server.base_url}" for b in ("mllm", "llm", "mllm_long")]
        sets = [arg for url in urls for arg in ("--set", url)]
        stats = run_recipe(
            "honeypipe.yaml", tmp_path / "run", "--input", str(tmp_path / "data.json"), *sets
        )
    assert stats["totals"] == {"input": 3, "kept": 3, "rejected": 0}
    out = records(tmp_path / "run", "data")
    assert len(out) == 3 and not records(tmp_path / "run", "rejects")
    for rec in out:
        check_llava_turns(rec)
        assert rec["cot"] == "short" and "Answer directly" not in rec["conversations"][0]["value"]
