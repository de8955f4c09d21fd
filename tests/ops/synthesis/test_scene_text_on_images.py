"""scene_text_on_images + text_region_consensus through the recipe: the user's photos as
backgrounds, rejects by reason, Tesseract consensus per script, byte-identical reruns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from mmrecipe.synth.multilingual.scene_text_gen import SceneTextGenerator, bundled_photo
from mmrecipe.testing.recipe_runs import RECIPES, records, run_recipe


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A folder of 'user' photos: two real ones, one all texture (no place for text)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    bundled_photo("rocket").save(folder / "rocket.jpg", quality=92)
    bundled_photo("coffee").save(folder / "coffee.jpg", quality=92)
    noise = np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "noise.png")
    return folder


def test_recipe_places_verifies_and_reruns_identically(photos: Path, tmp_path: Path) -> None:
    args = ("--input", str(photos), "--set", "ops.scene_text.languages=[en, ru, zh]")
    stats = run_recipe("synth-scenetext.yaml", tmp_path / "a", *args)
    text = json.dumps(stats)
    # the all-texture image found no flat region; the reason and counts are in rejects/stats
    rejects = records(tmp_path / "a", "rejects")
    flat = [r for r in rejects if r["reason"] == "no_flat_region"]
    assert [Path(r["images"][0]["path"]).name for r in flat] == ["noise.png"]
    assert "textured" in flat[0]["detail"]
    assert '"placement_rejects"' in text and '"textured"' in text and '"ocr_agreement"' in text
    for r in rejects:
        if r["reason"] == "ocr_disagreement":
            detail = json.loads(r["detail"])
            assert detail[0]["readings"]["tesseract"] != detail[0]["text"]
    kept = records(tmp_path / "a", "data")
    gen = SceneTextGenerator()
    for rec in kept:
        gt = rec["ground_truth"]
        assert gen.verify(gt, rec["answer"]) is None
        assert {r["language"] for r in gt["regions"]} <= {"en", "ru", "zh"}
        assert all(c["agreement"] == 1.0 for c in rec["ocr_consensus"])
        with Image.open(tmp_path / "a" / rec["image"]) as im:
            assert max(im.size) <= 768
    assert len(kept) + len(rejects) == 3
    run_recipe("synth-scenetext.yaml", tmp_path / "b", *args)
    first = sorted((tmp_path / "a" / "images" / "synth").rglob("*.png"))
    again = sorted((tmp_path / "b" / "images" / "synth").rglob("*.png"))
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]


def test_dry_run_with_a_tiny_trocr_from_the_test_kit(photos: Path, tmp_path: Path) -> None:
    """The recipe with TrOCR as a second recognizer (English only), its model the test kit's
    tiny random stand-in: the run completes and TrOCR's (random) readings reach the rejects."""
    from mmrecipe.testing.standins import standin_overrides

    recipe = yaml.safe_load((RECIPES / "synth-scenetext.yaml").read_text())
    recipe["backends"] = {
        "trocr": {"type": "image_to_text", "model": "microsoft/trocr-base-printed"}
    }
    consensus = next(op for op in recipe["ops"] if op["op"] == "text_region_consensus")
    consensus.update(
        recognizers=["tesseract", "trocr"],
        recognizer_languages={"trocr": ["en"]},
        min_agreement=0.5,
    )
    path = tmp_path / "scenetext-trocr.yaml"
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True))
    sets = standin_overrides(path, tmp_path / "tiny")
    args = [a for s in sets for a in ("--set", s)]
    # an absolute path: run_recipe joins it onto the recipes folder, which keeps it as is
    run_recipe(str(path), tmp_path / "run", "--input", str(photos), "--limit", "2", *args,
               "--set", "ops.scene_text.languages=[en]")  # fmt: skip
    done = records(tmp_path / "run", "data") + records(tmp_path / "run", "rejects")
    readers = set()
    for rec in done:
        for region in rec.get("ocr_consensus") or rec.get("fields", {}).get("ocr_consensus", []):
            readers |= set(region["readings"])
    assert readers == {"tesseract", "trocr"}


def test_avoid_field_takes_the_detector_boxes_of_the_labels_asked() -> None:
    from mmrecipe.ops.synthesis.scene_text_on_images import SceneTextOnImages
    from mmrecipe.sample import Sample

    op = SceneTextOnImages(avoid_field="objects", avoid_labels=["person"])
    assert "fields.objects" in op.reads
    dets = [
        {"label": "person", "score": 0.9, "box": [1, 2, 30, 40]},
        {"label": "cup", "score": 0.9, "box": [50, 50, 60, 60]},
        {"label": "person", "box": [1, 2]},  # malformed: skipped
    ]
    assert op._avoid(Sample(id="s", fields={"objects": dets})) == [(1.0, 2.0, 30.0, 40.0)]
    from mmrecipe.errors import ConfigError

    with pytest.raises(ConfigError, match="avoid_labels needs avoid_field"):
        SceneTextOnImages(avoid_labels=["person"])
