from __future__ import annotations

import json
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
