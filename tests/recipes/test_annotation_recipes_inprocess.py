"""The annotation recipes on an in-process engine (transformers, the tiny random LLaVA): the
same recipe files run with only the backend swapped; random text never breaks a run, it only
rejects its sample with a reason, and a rerun resumes from the request cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from PIL import Image

from mmrecipe.testing.recipe_runs import RECIPES, check_llava_turns, records, run_recipe

pytestmark = pytest.mark.slow

KNOWN = {"unparseable_qa", "too_few_pairs", "empty_output", "unparseable_evolution",
         "unparseable_judgement", "evolution_failed", "special_tokens", "stray_fields",
         "too_short", "too_long", "repetitive"}  # fmt: skip


def overlay(tmp_path: Path, base: str, backend: str, model: Path, extra: dict) -> Path:
    path = tmp_path / f"{base}-inprocess.yaml"
    spec = {"type": "transformers", "model": str(model), "device": "cpu", "batch_size": 4}
    overrides = {f"backends.{backend}": spec, **extra}
    path.write_text(yaml.safe_dump({"extends": str(RECIPES / base), "overrides": overrides}))
    return path


def test_llava_instruct_and_mmevol_on_transformers(tmp_path: Path, tiny_llava_dir: Path) -> None:
    root = tmp_path / "coco"
    root.mkdir()
    images = []
    anns = []
    for i in range(3):
        Image.new("RGB", (40, 30), (i * 80, 40, 90)).save(root / f"{i}.png")
        images.append({"id": i, "file_name": f"{i}.png", "width": 40, "height": 30})
        anns.append({"id": i + 1, "image_id": i, "caption": f"A test picture number {i}."})
    (root / "captions.json").write_text(json.dumps({"images": images, "annotations": anns}))
    short = {f"ops.{s}.max_tokens": 24 for s in ("conversation", "describe", "reasoning")}
    recipe = overlay(tmp_path, "llava-instruct-mllm.yaml", "llm", tiny_llava_dir, short)
    args = ["--input", str(root / "captions.json")]
    stats = run_recipe(str(recipe), tmp_path / "run", *args)
    assert stats["steps"]["context"]["out"] == 3
    rejects = records(tmp_path / "run", "rejects")
    assert {r["reason"] for r in rejects} <= KNOWN
    out = records(tmp_path / "run", "data")
    assert len(out) + len(rejects) == 9  # three kinds of each image, each accounted for
    for rec in out:
        check_llava_turns(rec)
    before = (tmp_path / "run" / "stats.json").read_text()
    run_recipe(str(recipe), tmp_path / "run", *args)  # resumes: nothing to redo
    assert json.loads(before)["steps"].keys() == json.loads(
        (tmp_path / "run" / "stats.json").read_text())["steps"].keys()  # fmt: skip

    seeds = [{"id": f"s{i}", "image": f"{i}.png", "conversations": [
        {"from": "human", "value": "<image>\nWhat is this?"}, {"from": "gpt", "value": "A test."}]}
        for i in range(3)]  # fmt: skip
    (root / "seeds.json").write_text(json.dumps(seeds))
    evolve = overlay(tmp_path, "mmevol.yaml", "mllm", tiny_llava_dir,
                     {"ops.evolve.rounds": 1, "ops.evolve.max_tokens": 24})  # fmt: skip
    run_recipe(str(evolve), tmp_path / "evolve", "--input", str(root / "seeds.json"))
    out = records(tmp_path / "evolve", "data")
    rejects = records(tmp_path / "evolve", "rejects")
    assert {r["reason"] for r in rejects} <= KNOWN
    assert sum(r["evolution_round"] == 0 for r in out) == 3  # seeds kept
    assert len(out) + len(rejects) == 6
