"""Parsing HoneyPipe replies defensively, and stripping bare-answer constraints."""

from __future__ import annotations

from mmrecipe.ops.curation.honeypipe.parsing import bracket_token, final_answer, strip_constraints


def test_bracket_token_takes_the_last_known_token() -> None:
    assert (
        bracket_token("I think [[DIRECT]]... no: [[reasoning]]", ["REASONING", "DIRECT"])
        == "REASONING"
    )
    assert bracket_token("[[MAYBE]]", ["AGREE", "DISAGREE"]) is None
    assert bracket_token("AGREE", ["AGREE", "DISAGREE"]) is None  # no brackets: not guessed
    assert (
        bracket_token("[[grounding_counting]]", ["general", "grounding_counting"])
        == "grounding_counting"
    )


def test_final_answer() -> None:
    assert final_answer("Step 1...\nFinal answer: **42**") == "42"
    assert final_answer("So the final answer is: B") == "B"
    assert final_answer(r"thus \boxed{x=3}") == "x=3"
    assert final_answer("no conclusion here") == ""


def test_strip_constraints() -> None:
    q = "What is the colour of the bus?\nAnswer the question using a single word or phrase."
    assert strip_constraints(q) == "What is the colour of the bus?"
    assert strip_constraints("How many? Answer directly.") == "How many?"
    mc = "Which is larger?\nA. 3\nB. 5\nAnswer with the option's letter from the given choices directly."
    assert strip_constraints(mc).endswith("Answer with the option's letter from the given choices.")
    assert strip_constraints("Describe the image in detail.") == "Describe the image in detail."


def test_has_boxes_finds_detection_output_only() -> None:
    from mmrecipe.ops.curation.honeypipe.parsing import has_boxes

    assert has_boxes("The lamp is at [0.12, 0.30, 0.25, 0.61].")
    assert has_boxes("<ref>the lamp</ref><box>(120,300),(250,610)</box>")
    assert has_boxes("dog: (12, 30), (250, 61)")
    assert has_boxes("<|box_start|>(1,2),(3,4)<|box_end|>")
    assert not has_boxes("There are 3 dogs, 2 cats and 1 bird.")
    assert not has_boxes("Options: [A, B, C, D]")


def test_think_trace_needs_a_closed_block_then_a_response() -> None:
    from mmrecipe.ops.curation.honeypipe.parsing import think_trace

    assert think_trace("<think>count: 2 + 1</think>\nThere are 3.") == (
        "count: 2 + 1",
        "There are 3.",
    )
    assert think_trace("<think>never closed... There are 3.") is None
    assert think_trace("<think>only thinking</think>   ") is None
    assert think_trace("There are 3. <think>late</think> x") is None
    assert think_trace("<think> </think> 3") is None
