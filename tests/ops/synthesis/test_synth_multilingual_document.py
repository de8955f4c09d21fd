"""The multilingual source ops through recipes: languages as a setting, answers verified."""

from __future__ import annotations

import json
from pathlib import Path

from mmrecipe.synth.multilingual.ml_document import MultilingualDocumentGenerator
from mmrecipe.synth.multilingual.scene_text_gen import SceneTextGenerator
from mmrecipe.testing.recipe_runs import records, run_recipe


def test_multilingual_document_recipe(tmp_path: Path) -> None:
    run_recipe("synth-multilingual-document.yaml", tmp_path / "run", "--limit", "6")
    kept = records(tmp_path / "run", "data")
    rejected = records(tmp_path / "run", "rejects")
    assert len(kept) + len(rejected) == 6
    gen = MultilingualDocumentGenerator()
    for rec in kept:
        assert gen.verify(rec["ground_truth"], rec["answer"]) is None
    for rec in rejected:
        assert rec["reason"] == "ocr_disagreement"
        assert all("readings" in r for r in json.loads(rec["detail"]))


def test_synth_scene_text_source_op_takes_languages(tmp_path: Path) -> None:
    recipe = tmp_path / "st.yaml"
    recipe.write_text(
        "name: st\nops:\n"
        "  - {op: synth_scene_text, name: st, num_samples: 3, languages: {ar: 1, hi: 1}}\n"
        "  - {op: synth_verify, name: verify}\n"
        "output: {formats: [llava], keep_fields: [ground_truth, answer]}\n"
    )
    run_recipe(str(recipe), tmp_path / "run")
    kept = records(tmp_path / "run", "data")
    assert len(kept) == 3
    gen = SceneTextGenerator()
    for rec in kept:
        assert {r["language"] for r in rec["ground_truth"]["regions"]} <= {"ar", "hi"}
        assert gen.verify(rec["ground_truth"], rec["answer"]) is None
