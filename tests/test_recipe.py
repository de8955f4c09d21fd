"""Recipes that start from another (``extends`` + ``overrides``) and steps switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.recipe import load_recipe

BASE = """
name: base
input: {format: image_folder, path: null}
ops:
  - {op: image_intake, name: intake}
  - {op: set_fields, name: domain, values: {domain: general}}
  - {op: text_length, name: length, enabled: false}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_extends_overrides_then_command_line(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nname: child\noverrides:\n  ops.domain.values: {domain: ocr}\n"
        "  ops.intake.min_side: 64\n",
    )
    recipe = load_recipe(child, ["ops.intake.min_side=128"])
    assert recipe.name == "child"
    steps = {s.name: s for s in recipe.ops}
    assert steps["domain"].params == {"values": {"domain": "ocr"}}
    assert steps["intake"].params == {"min_side": 128}  # --set wins over the file's overrides
    assert [s.name for s in recipe.active_steps()] == ["intake", "domain"]
    assert [s.name for s in load_recipe(child, ["ops.length.enabled=true"]).active_steps()] == [
        "intake",
        "domain",
        "length",
    ]


def test_extends_errors_are_one_readable_line(tmp_path: Path) -> None:
    loop = write(tmp_path, "loop.yaml", "extends: loop.yaml\n")
    with pytest.raises(ConfigError, match="extends itself"):
        load_recipe(loop)
    with pytest.raises(ConfigError, match="recipe file not found"):
        load_recipe(write(tmp_path, "orphan.yaml", "extends: missing.yaml\n"))
    lone = write(tmp_path, "lone.yaml", BASE + "overrides: {ops.intake.min_side: 3}\n")
    with pytest.raises(ConfigError, match="overrides: needs extends:"):
        load_recipe(lone)


def test_shipped_oasis_recipes_validate() -> None:
    root = Path(__file__).resolve().parents[1] / "recipes"
    ocr = load_recipe(root / "oasis-ocr.yaml")
    assert {s.name: s for s in ocr.ops}["domain"].params["values"] == {"domain": "ocr"}
    assert not {s.name: s for s in ocr.ops}["response_qc"].enabled
    assert load_recipe(root / "oasis.yaml").fingerprint() != ocr.fingerprint()


def test_python_built_recipes_are_checked_before_running(tmp_path: Path) -> None:
    """The executor refuses what ``validate`` refuses, before a run dir is made."""
    from mmrecipe.executor.local import LocalExecutor
    from mmrecipe.recipe import InputSpec, OutputSpec, Recipe, step

    base = {
        "input": InputSpec(format="image_folder", path=str(tmp_path)),
        "ops": [step("exact_dedup")],
    }
    bad = [
        (Recipe(**base, output=OutputSpec(formats=["image_folder"])), "output.formats"),
        (
            Recipe(
                **base,
                backends={"m": {"type": "openai", "model": "m", "base_url": "u", "timeout_s": -1}},
            ),
            "timeout_s",
        ),
    ]
    for recipe, needle in bad:
        with pytest.raises(ConfigError, match=needle):
            LocalExecutor(recipe, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_set_reaches_a_key_inside_a_mapping_parameter() -> None:
    recipe = load_recipe(
        Path(__file__).resolve().parents[1] / "recipes" / "honeypipe.yaml",
        ["ops.qa_gate.minimums.qa_correctness=5", "ops.mixture.enabled=true"],
    )
    gate = next(s for s in recipe.ops if s.name == "qa_gate")
    assert gate.params["minimums"] == {
        "qa_relevance": 3,
        "qa_answerability": 3,
        "qa_correctness": 5,
    }
    assert next(s for s in recipe.ops if s.name == "mixture").enabled
