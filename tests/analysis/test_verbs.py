"""Root verb -> object noun with the bundled POS tagger (the default engine here)."""

from __future__ import annotations

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


def test_pairs_for_typical_instructions() -> None:
    result = verb_noun_counts(list(CASES))
    assert result.available and result.tagged == len(CASES)
    expected = [p for p in CASES.values() if p is not None]
    assert sorted(result.pairs) == sorted(expected)


def test_top_pairs_caps_verbs_and_nouns() -> None:
    texts = [f"Describe the {n}." for n in ("cat", "cat", "dog", "car", "tree", "house")]
    texts += ["Explain the chart."] * 2
    table = top_pairs(verb_noun_counts(texts), n_verbs=1, n_nouns=2)
    assert table == {"describe": {"cat": 2, "car": 1}}  # ties broken alphabetically


def test_unavailable_engine_says_how_to_fix(monkeypatch) -> None:
    monkeypatch.setattr(verbs, "_spacy_extractor", lambda: None)
    monkeypatch.setattr(verbs, "_tagger_extractor", lambda: None)
    result = verb_noun_counts(["Describe the image."])
    assert not result.available
    assert result.note == "verb–noun analysis unavailable: install mmrecipe[analysis]"
