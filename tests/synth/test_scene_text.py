"""Scene text: placement rules, multilingual rendering, answers re-derived from the ground truth."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.errors import ConfigError
from mmrecipe.synth.base import item_rng
from mmrecipe.synth.multilingual.languages import LanguageMix
from mmrecipe.synth.multilingual.placement import Surface, contrast_ratio
from mmrecipe.synth.multilingual.scene_text import SceneTextSettings, place_text
from mmrecipe.synth.multilingual.scene_text_gen import SceneTextGenerator
from mmrecipe.synth.multilingual.scene_text_tasks import LANGUAGE_NAMES

ALL = ["en", "fr", "ru", "ar", "hi", "zh", "ja"]


def _half_flat(size: int = 400, flat: int = 200) -> Image.Image:
    """Left ``flat`` columns flat grey-blue, the rest random noise (texture)."""
    arr = np.zeros((size, size, 3), dtype=np.uint8)
    arr[:, :flat] = (90, 110, 140)
    arr[:, flat:] = np.random.default_rng(0).integers(0, 255, (size, size - flat, 3))
    return Image.fromarray(arr)


def _inside(box: list[float], bound: tuple[float, float, float, float]) -> bool:
    return box[0] >= bound[0] and box[1] >= bound[1] and box[2] <= bound[2] and box[3] <= bound[3]


def test_text_lands_only_on_the_flat_half_and_rejects_are_counted() -> None:
    settings = SceneTextSettings(languages=LanguageMix(ALL))
    for seed in range(6):
        _image, gt, rejects = place_text(_half_flat(), random.Random(seed), 3, settings, faces=[])
        assert gt is not None
        for region in gt["regions"]:
            assert _inside(region["bbox"], (0, 0, 200, 400)), region
        assert rejects["textured"] > 0
        assert gt["placement_rejects"] == dict(sorted(rejects.items()))


def test_never_on_a_face_or_an_avoided_object() -> None:
    settings = SceneTextSettings(languages=LanguageMix(["en"]))
    face = (0.0, 0.0, 500.0, 250.0)
    obj = (0.0, 250.0, 100.0, 500.0)
    placed = 0
    total: Counter[str] = Counter()
    for seed in range(6):
        _im, gt, rejects = place_text(
            _half_flat(500, 400), random.Random(seed), 2, settings, faces=[face], objects=[obj]
        )
        for region in gt["regions"] if gt else []:
            assert _inside(region["bbox"], (100, 250, 400, 500)), region
            placed += 1
        total.update(rejects)
    assert placed >= 4 and total["face"] > 0 and total["object"] > 0


def test_low_contrast_is_refused() -> None:
    grey = Image.new("RGB", (300, 300), (128, 128, 128))
    # no plates, and a contrast no paint colour reaches on mid grey
    settings = SceneTextSettings(languages=LanguageMix(["en"]), plate_ratio=0.0, min_contrast=8)
    _im, gt, rejects = place_text(grey, random.Random(0), 1, settings, faces=[])
    assert gt is None and rejects["low_contrast"] > 0 and set(rejects) == {"low_contrast"}
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)


def test_perspective_follows_the_edges_around_the_region() -> None:
    """Stripes sloping up to the right by 10 degrees above and below a flat band: the text's
    top and bottom edges get that slope."""
    size = 400
    yy, xx = np.mgrid[0:size, 0:size]
    slope = np.tan(np.radians(10))
    stripes = ((yy + xx * slope) // 12 % 2 * 120 + 60).astype(np.uint8)
    band = (yy > 150) & (yy < 250)
    gray = np.where(band, 128, stripes).astype(np.uint8)
    surface = Surface(Image.fromarray(gray).convert("RGB"), [])
    top, bottom, coherence = surface._perspective((100, 170, 300, 230))
    assert coherence > 0.6
    assert top == pytest.approx(10, abs=1.5) and bottom == pytest.approx(10, abs=1.5)


def test_every_answer_recomputed_from_the_ground_truth() -> None:
    gen = SceneTextGenerator(languages=ALL)
    seen_tasks, seen_langs = set(), set()
    for i in range(24):
        item = gen.make(item_rng(3, "scene_text", i), 1 + i % 3)
        gt = json.loads(json.dumps(item.ground_truth))
        regions, q = gt["regions"], gt["question"]
        seen_tasks.add(item.task)
        seen_langs.update(r["language"] for r in regions)
        # the words of each line are that line's text, in its writing order
        for k, region in enumerate(regions):
            words = [w["text"] for w in gt["words"] if w["line"] == k]
            assert " ".join(words) == region["text"]
            assert _inside(region["bbox"], (0, 0, *gt["render"]["size"]))
        # reading order: top to bottom
        assert [r["bbox"][1] for r in regions] == sorted(r["bbox"][1] for r in regions)
        expected = _expected(item.task, regions, q)
        assert item.answer == expected
        assert gen.verify(gt, item.answer) is None
        if item.task in ("text_at_box", "language"):
            assert str(regions[q["region"]]["bbox"]) in item.question
    assert seen_tasks == {"ocr", "text_at_box", "grounded_ocr", "language"}
    assert len(seen_langs) >= 5


def _expected(task: str, regions: list[dict], q: dict) -> str:
    if task == "ocr":
        return "\n".join(r["text"] for r in regions)
    if task == "text_at_box":
        return regions[q["region"]]["text"]
    if task == "language":
        return LANGUAGE_NAMES[regions[q["region"]]["language"]]
    pairs = [{"text": r["text"], "bbox": r["bbox"]} for r in regions]
    return json.dumps(pairs, ensure_ascii=False)


def test_right_to_left_words_run_from_the_right() -> None:
    gen = SceneTextGenerator(languages=["ar"], tasks=["ocr"])
    for i in range(10):
        gt = gen.make(item_rng(0, "scene_text", i), 1).ground_truth
        for k, region in enumerate(gt["regions"]):
            words = [w for w in gt["words"] if w["line"] == k]
            assert region["direction"] == "rtl"
            xs = [w["bbox"][0] for w in words]
            assert xs == sorted(xs, reverse=True), (region["text"], xs)


def test_same_seed_same_bytes(determinism: Callable[..., None], tmp_path: Path) -> None:
    determinism(SceneTextGenerator(languages=ALL), tmp_path)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown scene-text task"):
        SceneTextGenerator(tasks=["caption"])
    with pytest.raises(ConfigError, match="min_contrast"):
        SceneTextGenerator(min_contrast=0.5)
    with pytest.raises(ConfigError, match="unknown language"):
        SceneTextGenerator(languages=["xx"])


def test_verifier_rejects_tampered_answers(verifier: Callable[..., set[str]]) -> None:
    tasks = verifier(SceneTextGenerator(languages=ALL), 16)
    assert tasks == {"ocr", "text_at_box", "grounded_ocr", "language"}
