"""Root verb -> object noun: spaCy's dependency parse (the paper's engine, installed by the
``analysis`` extra) and the POS-tagger fallback give the same pairs on typical instructions."""

from __future__ import annotations

import pytest

from mmrecipe.analysis import verbs
from mmrecipe.analysis.verbs import top_pairs, verb_noun_counts

CASES = {
    "Describe the image in detail.": ("describe", "image"),
    "List the items on the shelf.": ("list", "item"),  # capitalised imperative
    "Can you identify the breed of the dog?": ("identify", "breed"),
    "Tell me a short story about this picture.": ("tell", "story"),
    "Based on the image, write a detailed description of the bar charts.": (
        "write",
        "description",
    ),
    "This is a photo of a city. Explain the architecture.": ("explain", "architecture"),
    "Count the boxes.": ("count", "box"),
    "What is the man holding?": None,  # no noun object
    "How many people are in the photo?": None,  # no main verb
}


@pytest.mark.parametrize("engine", ["spacy", "denckring-en-pos"])
def test_pairs_for_typical_instructions(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine != "spacy":
        monkeypatch.setattr(verbs, "_spacy_extractor", lambda: None)
    result = verb_noun_counts(list(CASES))
    assert result.available and result.tagged == len(CASES) and result.backend == engine
    expected = [p for p in CASES.values() if p is not None]
    assert sorted(result.pairs) == sorted(expected)


def test_top_pairs_keeps_verbs_above_one_percent_and_three_nouns() -> None:
    texts = [f"Describe the {n}." for n in ("cat", "cat", "dog", "car", "tree", "house")] * 20
    texts += ["Explain the chart."] * 2 + ["Count the birds."]  # 2/123 > 1%, 1/123 < 1%
    table = top_pairs(verb_noun_counts(texts))
    assert table == {"describe": {"cat": 40, "car": 20, "dog": 20}, "explain": {"chart": 2}}


def test_unavailable_engine_says_how_to_fix(monkeypatch) -> None:
    monkeypatch.setattr(verbs, "_spacy_extractor", lambda: None)
    monkeypatch.setattr(verbs, "_tagger_extractor", lambda: None)
    result = verb_noun_counts(["Describe the image."])
    assert not result.available
    assert result.note == "verb–noun analysis unavailable: install mmrecipe[analysis]"
