"""Structured answers: every shape a model answers in parses or fails with a reason."""

from __future__ import annotations

import pytest

from mmrecipe.ops.generation.qa import (
    QaParseError,
    parse_json_object,
    parse_qa_pairs,
    qa_turns,
)

PAIR = [{"question": "What is it?", "answer": "A dog."}]


@pytest.mark.parametrize(
    "text",
    [
        '[{"question": "What is it?", "answer": "A dog."}]',
        '```json\n[{"question": "What is it?", "answer": "A dog."}]\n```',
        'Sure! Here you go:\n[{"question": "What is it?", "answer": "A dog."}]\nAnything else?',
        '{"qa_pairs": [{"Question": "What is it?", "Answer": "A dog."}]}',
        '{"question": "What is it?", "answer": "A dog."}',
        "Question: What is it?\n===\nAnswer: A dog.",
        "**Q:** What is it?\n**A:** A dog.",
        '[{"question": "<image>\\nWhat is it?", "answer": "A dog.<image>"}]',
    ],
)
def test_shapes_that_parse(text: str) -> None:
    assert parse_qa_pairs(text) == PAIR


@pytest.mark.parametrize(
    "text",
    ["", "   ", "I cannot help with that.", "[1, 2]", '[{"question": "x"}]',
     '[{"question": "", "answer": "y"}]', '{"foo": 1}', "```json\n[{broken\n```"],
)  # fmt: skip
def test_garbage_raises(text: str) -> None:
    with pytest.raises(QaParseError):
        parse_qa_pairs(text)


def test_turns_put_image_once_in_the_first_user_turn() -> None:
    pairs = [{"question": "a?", "answer": "b"}, {"question": "<image> c?", "answer": "d"}]
    assert qa_turns(pairs, 1) == [
        {"role": "user", "content": "<image>\na?"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c?"},
        {"role": "assistant", "content": "d"},
    ]
    assert qa_turns(pairs, 2)[0]["content"] == "<image><image>\na?"
    assert qa_turns(pairs, 0)[0]["content"] == "a?"


def test_json_object_with_required_keys() -> None:
    assert (
        parse_json_object('x ```json\n{"Harder": 4, "correct": 5}\n``` y', ("harder", "correct"))[
            "harder"
        ]
        == 4
    )
    with pytest.raises(QaParseError):
        parse_json_object('{"harder": 4}', ("harder", "correct"))


def test_hostile_answers_fail_cleanly() -> None:
    for text in (
        "[" * 100_000,
        "{" * 50_000 + "x",
        "[1] " * 5000,
        "Q: x\n" * 5000,
        "\nQuestion: " * 3000,
    ):
        with pytest.raises(QaParseError):
            parse_qa_pairs(text)
