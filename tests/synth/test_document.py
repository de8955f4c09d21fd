from __future__ import annotations

import json
import math
import random
from pathlib import Path

from mmrecipe.synth.base import get_generator
from mmrecipe.synth.document import DocumentGenerator


def test_registered_and_deterministic(tmp_path: Path, determinism) -> None:
    assert get_generator("document") is DocumentGenerator
    determinism(DocumentGenerator(modes=["page"]), tmp_path, n=3)
    determinism(DocumentGenerator(modes=["scene"]), tmp_path / "scene", n=3)


def test_verifier_accepts_own_answers_and_rejects_tampered(verifier) -> None:
    tasks = verifier(DocumentGenerator(), 60)
    assert tasks == {"ocr", "read_field", "word_at_box", "grounded_ocr"}


def test_word_boxes_lie_inside_the_image_and_cover_the_text() -> None:
    for mode in ("page", "scene"):
        for d in (1, 3):
            item = DocumentGenerator(modes=[mode]).make(random.Random(d), d)
            w, h = item.images[0].size
            words = item.extra["words"]
            assert " ".join(x["text"] for x in words) == " ".join(item.ground_truth["lines"])
            for x in words:
                x0, y0, x1, y1 = x["bbox"]
                assert -1 <= x0 < x1 <= w + 1 and -1 <= y0 < y1 <= h + 1, (mode, x)


def test_grounded_ocr_rejects_a_misplaced_box() -> None:
    gen = DocumentGenerator(modes=["scene"], tasks=["grounded_ocr"])
    item = gen.make(random.Random(4), 2)
    data = json.loads(item.answer)
    data[0]["bbox"] = [b + 60 for b in data[0]["bbox"]]
    assert "box" in gen.verify(item.ground_truth, json.dumps(data))
    assert gen.verify(item.ground_truth, "not json")


def _crop_of(gt: dict) -> tuple[int, int, int, int]:
    x0, y0, crop = gt["render"]["crop"]
    return x0, y0, crop, 0


def test_scene_text_sits_on_flat_regions_and_never_on_a_face() -> None:
    import numpy as np
    from PIL import Image

    from mmrecipe.synth.document import _FLAT_MAX, _photo, faces

    # the bundled cascade finds the astronaut's face where it is (about x 177..272, y 66..161)
    assert any(x0 < 225 < x1 and y0 < 110 < y1 for x0, y0, x1, y1, *_ in faces("astronaut"))
    gen = DocumentGenerator(modes=["scene"], tasks=["ocr"])
    checked_faces = 0
    for seed in range(30):
        d = 1 + seed % 3
        item = gen.make(random.Random(seed), d)
        gt = item.ground_truth
        side = item.images[0].width
        x0, y0, crop, _ = _crop_of(gt)
        scale = side / crop
        backdrop = _photo(gt["photo"]).crop((x0, y0, x0 + crop, y0 + crop))
        gray = np.asarray(
            backdrop.resize((side, side), Image.Resampling.BILINEAR).convert("L"), dtype=float
        )
        for word in gt["words"]:
            wx0, wy0, wx1, wy1 = word["bbox"]
            for fx0, fy0, fx1, fy1 in faces(gt["photo"]):
                box = (
                    (fx0 - x0) * scale,
                    (fy0 - y0) * scale,
                    (fx1 - x0) * scale,
                    (fy1 - y0) * scale,
                )
                if box[2] > 0 and box[3] > 0 and box[0] < side and box[1] < side:
                    checked_faces += 1
                assert wx1 <= box[0] or box[2] <= wx0 or wy1 <= box[1] or box[3] <= wy0, (
                    seed,
                    word,
                    box,
                )
            region = gray[max(0, wy0) : wy1, max(0, wx0) : wx1]
            detail = np.abs(np.diff(region, axis=1)).mean() + np.abs(np.diff(region, axis=0)).mean()
            assert detail <= _FLAT_MAX["plate"] + 1.0, (seed, word, detail)
    assert checked_faces > 0  # some crops held a face, and the text kept off it


def test_scene_text_is_in_perspective_at_higher_difficulty() -> None:
    gen = DocumentGenerator(modes=["scene"], tasks=["ocr"])
    skewed = 0
    for seed in range(10):
        for word in gen.make(random.Random(seed), 3).ground_truth["words"]:
            a, b, c, d = word["quad"]
            # perspective: the word's left and right edges differ in length (rotation keeps them)
            left, right = math.dist(a, d), math.dist(b, c)
            skewed += abs(left - right) > 0.5
    assert skewed > 0


def test_page_body_is_grammar_prose_that_agrees_with_the_fields() -> None:
    import re

    from mmrecipe.synth.prose import _GRAMMARS

    frames = "|".join(
        re.sub(r"\\\{\w+\\\}", ".+?", re.escape(rule))
        for g in _GRAMMARS.values()
        for rule in g["s"]
    )
    prose = re.compile(f"(?:{frames})(?: (?:{frames}))*")
    gen = DocumentGenerator(modes=["page"], tasks=["ocr"])
    for seed in range(20):
        gt = gen.make(random.Random(seed), 1 + seed % 3).ground_truth
        body = " ".join(gt["lines"][1 + len(gt["fields"]) :])
        # the body is whole sentences of the grammar, one after another: no word salad
        assert prose.fullmatch(body), body
        assert "{" not in body and "  " not in body
        if "Customer" in gt["fields"] and "thank" in body and "for the continued" in body:
            assert gt["fields"]["Customer"] in body
