"""recipes/oasis-local.yaml: the whole Oasis method with one in-process model in both roles,
run through the CLI with the tiny random LLaVA in place of the default VLM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.backends import auto
from mmrecipe.recipe import load_recipe

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "oasis-local.yaml"


def test_recipe_names_a_small_instruct_vlm_and_shares_it() -> None:
    recipe = load_recipe(RECIPE)
    assert recipe.backends["mllm"]["type"] == "auto"
    assert recipe.backends["mllm"]["model"] == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert recipe.backends["llm"] == {"same_as": "mllm"}
    # the whole method of oasis.yaml
    steps = [s.name for s in recipe.active_steps()]
    assert steps == [s.name for s in load_recipe(REPO / "recipes/oasis.yaml").active_steps()]


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    real = auto.importlib.util.find_spec
    monkeypatch.setattr(
        auto.importlib.util, "find_spec", lambda n: None if n == "vllm" else real(n)
    )
    assert auto.choose_engine() == ("transformers", "vLLM is not installed")
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(auto.importlib.util, "find_spec", lambda n: object())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert auto.choose_engine()[0] == "transformers"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert auto.choose_engine()[0] == "vllm"


def test_bad_same_as_is_refused_at_validate(tmp_path: Path) -> None:
    for bad, needle in (
        ("{same_as: nowhere}", "does not declare"),
        ("{same_as: llm}", "circle"),
        ("{same_as: mllm, model: x}", "no other keys"),
    ):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "mmrecipe",
                "validate",
                str(RECIPE),
                "--set",
                f"backends.llm={bad}",
            ],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 2 and needle in out.stderr, (bad, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_oasis_local_with_the_tiny_model_in_both_roles(
    tmp_path: Path, tiny_llava_dir: Path
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    for k in range(4):
        Image.new("RGB", (32, 24), (40 * k, 120, 200)).save(images / f"img{k}.png")
    run = tmp_path / "run"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmrecipe",
            "run",
            str(RECIPE),
            "--input",
            str(images),
            "-o",
            str(run),
            "--quiet",
            "--set",
            f"backends.mllm.model={tiny_llava_dir}",
            "--set",
            "backends.mllm.dtype=float32",
            "--set",
            "backends.mllm.transformers.device=cpu",
            "--set",
            "backends.mllm.transformers.local_files_only=true",
            "--set",
            "ops.hook.max_tokens=24",
            "--set",
            "ops.hook.min_tokens=4",
            "--set",
            "ops.categorize.max_tokens=16",
            "--set",
            "ops.respond.max_tokens=16",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    # the engine choice is said once: one model serves both roles
    said = [line for line in out.stderr.splitlines() if "in process for" in line]
    assert len(said) == 1 and "transformers" in said[0], out.stderr
    stats = json.loads((run / "stats.json").read_text())
    assert stats["totals"]["input"] == 4
    assert stats["steps"]["hook"]["out"] == 4
    # the LLM steps ran on the shared backend (usage is booked under its one name)
    assert stats["steps"]["categorize"]["in"] == 4
    assert set(stats["usage"]) == {"mllm"}
    assert stats["usage"]["mllm"]["requests"] >= 8
    kept = [
        json.loads(line)
        for f in sorted((run / "samples").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    rejected = [
        json.loads(line)
        for f in sorted((run / "rejects").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    assert len(kept) + len(rejected) == 4
