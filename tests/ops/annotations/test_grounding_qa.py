"""grounding_qa options: categories with several instances skipped, turn cap, crowd regions."""

from __future__ import annotations

from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample

BOXES = [
    {"bbox": [0, 0, 50, 50], "category": "dog"},
    {"bbox": [50, 50, 50, 50], "category": "dog"},
    {"bbox": [10, 10, 20, 20], "category": "ball"},
    {"bbox": [0, 0, 100, 100], "category": "person", "iscrowd": 1},
]


def run(**params) -> Sample:
    op = build_op("grounding_qa", "g", params)
    sample = Sample(
        id="s", images=[ImageRef("x.png", width=100, height=100)], fields={"boxes": BOXES}
    )
    return op.process_batch([sample])[0]


def test_several_skip_keeps_unambiguous_categories_only() -> None:
    out = run(tasks=["grounding"], several="skip")
    answers = [m["content"] for m in out.messages if m["role"] == "assistant"]
    assert answers == ["<ref>ball</ref><box>(100,100),(300,300)</box>"]
    assert "person" not in str(out.fields["grounding"])  # a crowd region is no instance


def test_turn_cap_and_all_instances() -> None:
    out = run(max_turns=2)
    assert len(out.messages) == 4 and out.messages[0]["content"].startswith("<image>\n")
    assert out.messages[1]["content"] == (
        "<ref>dog</ref><box>(0,0),(500,500)</box><box>(500,500),(999,999)</box>"
    )
    assert run(tasks=["grounding"], several="skip", max_turns=1).rejection is None
    only_dogs = build_op("grounding_qa", "g", {"tasks": ["grounding"], "several": "skip"})
    sample = Sample(
        id="d", images=[ImageRef("x.png", width=100, height=100)], fields={"boxes": BOXES[:2]}
    )
    (rejected,) = only_dogs.process_batch([sample])
    assert rejected.rejection.reason == "no_boxes"
