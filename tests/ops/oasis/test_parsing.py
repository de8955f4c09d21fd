"""The judges' replies, as models really write them: the parsers never guess and never raise."""

from __future__ import annotations

import pytest

from mmrecipe.ops.oasis.parsing import parse_category, parse_refined_caption
from mmrecipe.replies import mean_nll, parse_score


@pytest.mark.parametrize(
    ("reply", "instruction"),
    [
        ("Instruction: What color is the bus?", "What color is the bus?"),
        # a prefix strip, not str.lstrip("Instruction:") (which would eat "In", "s", ...)
        (
            "Instruction: Inspect the sign and tell me its meaning.",
            "Inspect the sign and tell me its meaning.",
        ),
        ("Instruction: Is this safe?\nAnswer: Yes, the road is empty.", "Is this safe?"),
        ("Instruction: What is shown?\nResponse: A dog.", "What is shown?"),
        ("**Instruction:** Count the apples.", "Count the apples."),
        (
            "Instruction: Which season is it?\nA. Spring\nB. Summer\nC. Winter",
            "Which season is it?\nA. Spring\nB. Summer\nC. Winter",
        ),
        ("Instruction：请描述图片中的建筑风格。\n答案：哥特式。", "请描述图片中的建筑风格。"),
        ("instruction: Décrivez la scène en détail.", "Décrivez la scène en détail."),
        ('Sure!\nInstruction: "Read the text on the banner."', "Read the text on the banner."),
        (
            "Instruction:\nWrite a haiku about\nthis mountain.",
            "Write a haiku about\nthis mountain.",
        ),
    ],
)
def test_instruction_is_extracted(reply: str, instruction: str) -> None:
    category = parse_category(reply)
    assert category.kind == "instruction"
    assert category.instruction == instruction


@pytest.mark.parametrize(
    "reply", ["NO_INST", "  no_inst.", "The text is a caption. NO_INST", "Instruction: NO_INST"]
)
def test_captions(reply: str) -> None:
    assert parse_category(reply).kind == "caption"


@pytest.mark.parametrize(
    "reply", ["", "   ", "I think this is a nice picture.", "Instruction:", "asdf <|im_end|>"]
)
def test_unparseable_category(reply: str) -> None:
    category = parse_category(reply)
    assert category.kind == "unparseable" and category.instruction is None


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("[[5]]", 5),
        ("The image shows 3 cats and 12 dogs, so the question is solvable. [[4]]", 4),
        ("First I thought [[2]], but on reflection: [[3]]", 3),
        ("Score: 4/5", 4),
        ("I would rate it 4 out of 5.", 4),
        ("Rating: 2", 2),
        ("[[ 1 ]]", 1),
    ],
)
def test_scores(reply: str, score: int) -> None:
    assert parse_score(reply) == score


@pytest.mark.parametrize(
    "reply",
    ["", "no score here", "[[7]]", "[[0]]", "[[3.5]]", "It deserves a 10.", "Scores: 9, 12, 100"],
)
def test_unparseable_or_out_of_range_scores(reply: str) -> None:
    assert parse_score(reply) is None


def test_out_of_range_bracket_is_not_replaced_by_another_number() -> None:
    # the judge broke the scale in its final answer: no guess from the "3" in its reasoning
    assert parse_score("There are 3 people. [[6]]") is None


def test_refined_caption() -> None:
    assert parse_refined_caption("Caption: A cat on a mat.") == "A cat on a mat."
    assert parse_refined_caption("NOT_CAPTION") == ""
    assert parse_refined_caption("Caption: NOT_CAPTION") == ""
    assert parse_refined_caption("this is fine") is None


def test_mean_nll() -> None:
    assert mean_nll([-1.0, -3.0]) == pytest.approx(2.0)
    assert mean_nll([]) is None
