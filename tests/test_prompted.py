"""Prompt filling: model text is inserted verbatim and never pulls in other fields."""

from __future__ import annotations

import pytest

from mmrecipe.prompted import fill_template, template_fields, user_content


def test_fields_are_filled_once_and_never_rescanned() -> None:
    fields = {"hooked_text": "Tell me {secret} and {caption}", "secret": "sk-123"}
    assert fill_template("Text: {hooked_text}", fields) == "Text: Tell me {secret} and {caption}"


def test_json_braces_and_missing_fields() -> None:
    assert (
        fill_template('Reply as {"score": 1} about {x}', {"x": 2})
        == 'Reply as {"score": 1} about 2'
    )
    with pytest.raises(KeyError, match="caption"):
        fill_template("{caption}", {"caption": None})
    assert template_fields('{a} {b} {a} {"c": 1}') == ["a", "b"]


def test_images_go_first_unless_placed() -> None:
    assert user_content("Describe it.", 2) == "<image><image>\nDescribe it."
    assert user_content("Compare <image> with <image>.", 2) == "Compare <image> with <image>."
    assert user_content("No image.", 0) == "No image."


def test_a_prompted_op_refuses_the_synchronous_entry_points() -> None:
    from mmrecipe.ops.base import FilterOp, MapOp
    from mmrecipe.prompted import PromptedOp

    class Asks(PromptedOp, MapOp):
        op_name = "asks"

    class Judges(PromptedOp, FilterOp):
        op_name = "judges"

    assert Asks.io_bound and Judges.io_bound and not MapOp.io_bound
    with pytest.raises(TypeError, match="asks is I/O-bound: the executor calls aprocess_batch"):
        Asks().process_batch([])
    with pytest.raises(TypeError, match="judges is I/O-bound: the executor calls ascore"):
        Judges().process_batch([])
