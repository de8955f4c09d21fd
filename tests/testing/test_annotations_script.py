"""The fake server's ``annotations`` script carries every sample through the annotation
recipes (what the README's model-free dry run relies on)."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from mmrecipe.testing.openai_server import SCRIPTS, FakeOpenAIServer
from mmrecipe.testing.recipe_runs import check_llava_turns, records, run_recipe


def test_dry_run_of_llava_instruct_and_mmevol(tmp_path: Path) -> None:
    images = [{"id": i, "file_name": f"{i}.png", "width": 20, "height": 20} for i in range(2)]
    for im in images:
        Image.new("RGB", (20, 20), (im["id"] * 99, 0, 0)).save(tmp_path / im["file_name"])
    anns = [{"id": i + 1, "image_id": i, "caption": "A red square."} for i in range(2)]
    (tmp_path / "c.json").write_text(json.dumps({"images": images, "annotations": anns}))
    seeds = [{"id": f"s{i}", "image": f"{i}.png", "conversations": [
        {"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "A square."}]}
        for i in range(2)]  # fmt: skip
    (tmp_path / "seeds.json").write_text(json.dumps(seeds))
    with FakeOpenAIServer(responder=SCRIPTS["annotations"]) as server:
        url = ["--set", f"backends.llm.base_url={server.base_url}"]
        run_recipe("llava-instruct.yaml", tmp_path / "a", "--input", str(tmp_path / "c.json"), *url)
        url = ["--set", f"backends.mllm.base_url={server.base_url}"]
        run_recipe("mmevol.yaml", tmp_path / "b", "--input", str(tmp_path / "seeds.json"), *url)
    for run, n in (("a", 6), ("b", 8)):  # 2 images x 3 kinds; 2 seeds x (seed + 3 rounds)
        out = records(tmp_path / run, "data")
        assert len(out) == n and not records(tmp_path / run, "rejects")
        for rec in out:
            check_llava_turns(rec)
