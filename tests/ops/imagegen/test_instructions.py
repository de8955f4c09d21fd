"""Parsing what an LLM writes (untrusted: chatter skipped, malformed lines dropped) and
naming one object unambiguously."""

from __future__ import annotations

from mmrecipe.ops.imagegen.instructions import EDIT_TYPES, parse_contrast, parse_edit_lines
from mmrecipe.ops.imagegen.refer_object import ReferObject
from mmrecipe.sample import ImageRef, Sample


def test_edit_lines() -> None:
    text = """Sure! Here are the edits:
1. Replace | replace the dog with a cat | a cat on the grass
- **Color** | make the car red | a red car
3) style | | a painting
removal | remove the tree | a field
jump | make it jump | a jumping dog
replace | REPLACE THE DOG WITH A CAT | duplicate
add | hat | add a hat | a dog | extra column
"""
    parsed = parse_edit_lines(text, EDIT_TYPES, limit=10)
    assert [(p.edit_type, p.instruction) for p in parsed] == [
        ("replace", "replace the dog with a cat"),
        ("attribute", "make the car red"),
        ("remove", "remove the tree"),
    ]
    assert parsed[0].target_caption == "a cat on the grass"
    assert len(parse_edit_lines(text, EDIT_TYPES, limit=2)) == 2
    assert parse_edit_lines(text, ("style",), limit=10) == []  # its only style line is empty
    assert parse_edit_lines("", EDIT_TYPES, 3) == []


def test_contrast() -> None:
    good = "Positive: two dogs on a sofa\nNEGATIVE: three dogs on a sofa\nType: count\n"
    assert parse_contrast(good) == {
        "positive": "two dogs on a sofa",
        "negative": "three dogs on a sofa",
        "type": "count",
    }
    assert parse_contrast("POSITIVE: a\nNEGATIVE: b\nTYPE: vibes")["type"] == "other"
    assert parse_contrast("POSITIVE: same\nNEGATIVE: Same") is None  # no difference
    assert parse_contrast("NEGATIVE: only one") is None


def _sample(regions: list[dict]) -> Sample:
    ref = ImageRef("x.png", width=300, height=100)
    return Sample(id="s", images=[ref], fields={"regions": regions})


def test_refer_object_names_one_object() -> None:
    op = ReferObject(min_area_fraction=0.0)
    op.step_name = "refer"
    left = {"label": "dog", "box": [0, 0, 60, 60], "area": 3000}
    right = {"label": "dog", "box": [240, 0, 300, 60], "area": 2000}
    cup = {"label": "cup", "box": [120, 0, 150, 30], "area": 500}
    s = _sample([left, right, cup])
    op.process_batch([s])
    assert s.fields["expression"] == "the dog on the top left" and s.fields["target"] is left
    # two dogs at the same place cannot be told apart: the cup is named instead
    s = _sample([left, dict(left, area=2500), cup])
    op.process_batch([s])
    assert s.fields["expression"] == "the cup"
    s = _sample([left, dict(left)])
    op.process_batch([s])
    assert s.rejection is not None and s.rejection.reason == "no_referable_object"
    # COCO boxes (x, y, w, h) work too
    s = Sample(id="c", images=[ImageRef("x.png", width=300, height=100)])
    s.fields["boxes"] = [{"bbox": [10, 10, 50, 40], "category": "cat"}]
    op.regions_field = "boxes"
    op.process_batch([s])
    assert s.fields["target"]["box"] == [10.0, 10.0, 60.0, 50.0]
    assert s.fields["expression"] == "the cat"


def test_four_column_lines_name_the_target_and_the_taxonomy_is_wider() -> None:
    from mmrecipe.ops.imagegen.instructions import EDIT_TYPES, parse_edit_lines

    text = "\n".join(
        [
            "1. replace | the red car | replace the red car with a bus | a bus on a street",
            "2. move | the cup | move the cup to the left edge | a cup at the left",
            "3. style | none | make it a watercolor | a watercolor street",
            "4. scale | dog | make the dog twice as big | a big dog",
            "5. attribute | paint it blue",  # no caption: skipped
        ]
    )
    edits = parse_edit_lines(text, EDIT_TYPES, 10)
    assert [(e.edit_type, e.target) for e in edits] == [
        ("replace", "the red car"),
        ("relocate", "the cup"),
        ("style", ""),
        ("resize", "dog"),
    ]
    assert {"multi_object", "relocate", "resize"} <= set(EDIT_TYPES)
