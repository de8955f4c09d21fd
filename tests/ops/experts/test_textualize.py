"""Image Textualization's merge: caption vs experts, on hand-made outputs."""

from __future__ import annotations

from mmrecipe.ops.experts.textualize import facts_text, mentions, textualize


def test_confirmed_unconfirmed_added_with_counts_and_positions() -> None:
    caption = "A photo of two dogs and a unicorn on the grass next to a bench."
    objects = [
        {"label": "dog", "box": [0, 0, 20, 20]},
        {"label": "dog", "box": [80, 80, 100, 100]},
        {"label": "car", "box": [40, 40, 60, 60]},
    ]
    tags = [{"tag": "grass"}, {"tag": "tree"}]
    result = textualize(
        caption, objects, tags, ocr="STOP\n", width=100, height=100, vocabulary=["unicorn", "bench"]
    )
    assert result.confirmed == ["dog", "grass"]
    assert result.unconfirmed == ["unicorn", "bench"]  # named, found by no expert
    assert result.added == ["car", "tree"]  # found, not named
    assert result.objects["dog"] == {"count": 2, "positions": ["top left", "bottom right"]}
    assert result.text_lines == ["STOP"]
    text = facts_text(result)
    assert "2 x dog (top left, bottom right)" in text
    assert "likely hallucinated, remove): unicorn, bench" in text
    assert 'Text in the image: "STOP"' in text


def test_mentions_plurals_phrases_and_generic_words() -> None:
    assert mentions("Three traffic lights and some buses.", ["traffic light", "bus", "car"]) == [
        "traffic light",
        "bus",
    ]
    assert mentions("An image of a scene.", ["image", "scene"]) == []


def test_nothing_found() -> None:
    result = textualize("A cat.", [], [], width=10, height=10)
    assert result.confirmed == [] and result.unconfirmed == [] and result.added == []
    assert facts_text(result) == "No expert found anything to add."


def test_llm_named_objects_replace_the_vocabulary_search() -> None:
    objects = [{"label": "dog", "box": [0, 0, 10, 10]}]
    result = textualize(
        "A dog chasing a frisbee.",
        objects,
        [],
        width=10,
        height=10,
        named=["Dogs", "a frisbee", "image"],
    )
    assert result.confirmed == ["dog"]
    assert result.unconfirmed == ["frisbee"]  # named by the LLM, found by no expert
    assert result.added == []


def test_region_captions_and_an_ocr_result_become_facts() -> None:
    from mmrecipe.ops.experts.textualize import facts_text, textualize

    objects = [
        {"label": "dog", "box": [0, 60, 30, 100], "caption": "a brown dog lying on grass"},
        {"label": "cup", "box": [70, 0, 100, 20], "caption": "  "},  # an empty caption: skipped
    ]
    ocr = {"text": "OPEN\nDAILY 9-5", "words": []}
    result = textualize("A dog.", objects=objects, ocr=ocr, width=100, height=100)
    assert result.regions == ["dog (bottom left): a brown dog lying on grass"]
    assert result.text_lines == ["OPEN", "DAILY 9-5"]
    facts = facts_text(result)
    assert "Region descriptions: dog (bottom left): a brown dog lying on grass." in facts
    assert 'Text in the image: "OPEN" | "DAILY 9-5"' in facts


def test_the_open_vocabulary_is_wordnet_derived_and_everyday() -> None:
    from mmrecipe.backends.experts.tagger import OPEN_VOCABULARY, open_vocabulary

    tags = open_vocabulary()
    assert 2500 <= len(tags) == len(set(tags))
    assert {"dog", "cat", "car", "kitchen", "beach", "red", "blue", "wood"} <= set(tags)
    assert "WordNet 3.0 Copyright 2006 by Princeton University" in OPEN_VOCABULARY.read_text()
    assert all(t == t.strip().lower() and len(t.split()) <= 2 for t in tags)
