"""Every generator of this package: deterministic, and its verifier accepts its own answers and
rejects tampered ones."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest

from mmrecipe.synth.base import get_generator, item_rng

KINDS = ["geometry", "jigsaw", "maze", "visual_search", "chart_refocus"]


def _bytes(item) -> str:
    h = hashlib.sha256()
    for im in item.images:
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        h.update(buf.getvalue())
    h.update(
        json.dumps(
            [item.question, item.answer, item.rationale, item.messages, item.ground_truth],
            sort_keys=True,
        ).encode()
    )
    return h.hexdigest()


def _tamper(kind: str, answer: str) -> str:
    if kind == "jigsaw":
        nums = answer.split(", ")
        nums[0], nums[1] = nums[1], nums[0]
        return ", ".join(nums)
    if kind == "maze":
        flip = {"U": "D", "D": "U", "L": "R", "R": "L"}
        moves = answer.split()
        return " ".join([flip[moves[0]], *moves[1:]])
    if kind == "visual_search":
        x0, y0, x1, y1 = map(int, re.findall(r"\d+", answer))
        return f"[{x0 + 60}, {y0 + 60}, {x1 + 60}, {y1 + 60}]"
    return str(round(float(answer) + 1.5, 2))


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_identical_bytes(kind: str) -> None:
    gen = get_generator(kind)()
    for index in range(3):
        a = gen.make(item_rng(7, kind, index), 3)
        b = get_generator(kind)().make(item_rng(7, kind, index), 3)
        assert _bytes(a) == _bytes(b)
    assert _bytes(gen.make(item_rng(7, kind, 0), 3)) != _bytes(gen.make(item_rng(8, kind, 0), 3))


@pytest.mark.parametrize("kind", KINDS)
def test_verifier_accepts_own_answers_and_rejects_tampered(kind: str) -> None:
    gen = get_generator(kind)()
    for index in range(40):
        difficulty = 1 + index % 5
        item = gen.make(item_rng(1, kind, index), difficulty)
        truth = json.loads(json.dumps(item.ground_truth))  # as stored in a run's JSON
        assert gen.verify(truth, item.answer) is None, (index, item.answer)
        wrong = _tamper(kind, item.answer)
        assert gen.verify(truth, wrong) is not None, (index, item.answer, wrong)
        assert gen.verify(truth, "no idea") is not None


@pytest.mark.parametrize("kind", ["jigsaw", "maze", "visual_search", "chart_refocus"])
def test_interleaved_items_have_a_produced_image_inside_the_answer(kind: str) -> None:
    item = get_generator(kind)().make(item_rng(0, kind, 0), 2)
    assert len(item.images) == 2 and item.messages is not None
    user, reply = item.messages
    assert user["content"].count("<image>") == 1 and reply["content"].count("<image>") == 1
    assert reply["content"].endswith(item.answer)
    assert item.images[0].tobytes() != item.images[1].tobytes()
