"""Cards keep model text as text, but short, without inline images or credentials."""

from __future__ import annotations

from pathlib import Path

from mmrecipe.report.cards import MAX_TEXT, clean_text, make_card, model_outputs
from mmrecipe.report.thumbnails import Thumbnails

from .conftest import PAYLOAD, record, reject


def test_clean_text_drops_data_urls_and_truncates() -> None:
    text = "see data:image/png;base64," + "QUJD" * 500 + " end"
    cleaned = clean_text(text)
    assert "QUJDQUJD" not in cleaned and cleaned.endswith(" end") and "dropped" in cleaned
    long = clean_text("x" * (MAX_TEXT + 50))
    assert long.startswith("x" * MAX_TEXT) and "50 more characters" in long
    assert clean_text({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert clean_text(PAYLOAD) == PAYLOAD  # escaping is the page's job, text stays text


def test_model_outputs_shapes() -> None:
    trace = {
        "gen": {"response": {"texts": ["one", "two"]}},
        "judge": {"response": {"texts": [], "error": "timeout"}},
        "hook": {"raw": "free-form", "headers": {"Authorization": "Bearer sk-123"}, "api_key": "k"},
    }
    out = model_outputs(trace)
    assert out[:3] == [["gen [0]", "one"], ["gen [1]", "two"], ["judge (error)", "timeout"]]
    assert out[3][0] == "hook" and "free-form" in out[3][1]
    assert "sk-123" not in out[3][1] and '"api_key": "[redacted]"' in out[3][1]
    assert model_outputs(None) == [] and model_outputs({"x": "plain"}) == [["x", "plain"]]


def test_card_of_a_reject(tmp_path: Path) -> None:
    rec = reject(
        record("r1", "why?", None, images=["a.png"] * 6, domain="ocr", scores={"s": 2}, raw="no"),
        "qc",
        "low",
        "score 2 < 3",
    )
    card = make_card(rec, "rejected", Thumbnails(tmp_path, 10**6))
    assert (card["op"], card["reason"], card["detail"]) == ("qc", "low", "score 2 < 3")
    assert card["domain"] == "ocr" and card["scores"] == [["s", 2.0]]
    assert len(card["images"]) == 4 and card["more_images"] == 2
    assert card["images"][0] == [None, "a.png", "no preview"]  # missing file: no crash
    assert card["outputs"] == [["respond", "no"]]
    assert card["fields"][0] == ["instruction", "why?"]
