"""``recipes/llavar.yaml`` end to end with real Tesseract on rendered text images and a
scripted text-only LLM: OCR text reaches the prompt, confidence filters reject images without
text, unsupported answers are dropped or reject their sample, garbage is rejected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from mmrecipe.testing.openai_server import FakeOpenAIServer, by_marker
from mmrecipe.testing.recipe_runs import check_llava_turns, n_images, records, run_recipe, user_text

SIGNS = {
    "hours": ["OPEN DAILY", "HOURS 10 TO 18"],
    "library": ["CITY PUBLIC LIBRARY"],
    "bread": ["FRESH BREAD DAILY"],
    "sale": ["BIG SALE TODAY"],
    "blank": [],
}
ANSWERS = {  # first marker found wins
    "BREAD": "As an AI language model I cannot see images.",
    "DAILY": json.dumps(
        [
            {"question": "When is it open?", "answer": "It is open daily from 10 to 18."},
            {"question": "What is the phone number?", "answer": "Call 555 0199."},
        ]
    ),
    "LIBRARY": 'Sure!\n```json\n[{"question": "What building is this?", '
    '"answer": "The sign says \\"CITY PUBLIC LIBRARY\\"."}]\n```',
    "SALE": '[{"question": "What does it say?", "answer": "It says \\"HALF PRICE\\"."}]',
}


def render(folder: Path) -> None:
    folder.mkdir()
    font = ImageFont.load_default(size=44)
    for name, lines in SIGNS.items():
        im = Image.new("RGB", (620, 80 + 70 * len(lines)), "white")
        draw = ImageDraw.Draw(im)
        for i, line in enumerate(lines):
            draw.text((30, 40 + 70 * i), line, fill="black", font=font)
        im.save(folder / f"{name}.png")


def answer(body: dict) -> str:
    text = user_text(body)
    return next(a for marker, a in ANSWERS.items() if marker in text)


@pytest.fixture
def llm() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer("plain", responder=by_marker({"Text in the image (OCR)": answer}))
    server.start()
    yield server
    server.stop()


def test_llavar_with_tesseract(tmp_path: Path, llm: FakeOpenAIServer) -> None:
    # needs Debian's tesseract-ocr and tesserocr or pytesseract (scripts/test.sh installs them)
    render(tmp_path / "images")
    stats = run_recipe(
        "llavar.yaml", tmp_path / "run", "--input", str(tmp_path / "images"),
        "--set", f"backends.llm.base_url={llm.base_url}", "--set", "backends.llm.model=m",
    )  # fmt: skip
    assert all(n_images(b) == 0 for b in llm.bodies)  # the LLM reads text, never the image
    prompts = {user_text(b) for b in llm.bodies}
    assert "Text in the image (OCR), line by line:\nOPEN DAILY\nHOURS 10 TO 18" in "\n".join(
        prompts
    )
    assert len(prompts) == 4  # the blank image never reached the LLM
    assert "The sign says" not in "\n".join(prompts)

    samples = {Path(r["images"][0]["path"]).stem: r for r in records(tmp_path / "run", "samples")}
    assert sorted(samples) == ["hours", "library"]
    hours = samples["hours"]
    assert hours["fields"]["ocr"]["text"] == "OPEN DAILY\nHOURS 10 TO 18"
    assert all(w["conf"] >= 60 for w in hours["fields"]["ocr"]["words"])
    assert hours["scores"]["ocr_words"] == 6 and hours["scores"]["ocr_conf"] >= 70
    line = hours["fields"]["ocr"]["lines"][0]
    assert line["text"] == "OPEN DAILY" and 20 <= line["bbox"][0] <= 40
    assert hours["fields"]["qa"] == [
        {"question": "When is it open?", "answer": "It is open daily from 10 to 18."}
    ]
    (dropped,) = hours["fields"]["qa_unsupported"]
    assert "numbers not in the OCR text: 555, 0199" in dropped["unsupported"][0]
    assert [m["content"] for m in hours["messages"]] == [
        "<image>\nWhen is it open?",
        "It is open daily from 10 to 18.",
    ]
    for rec in records(tmp_path / "run", "data"):
        check_llava_turns(rec)

    rejects = {Path(r["images"][0]["path"]).stem: r for r in records(tmp_path / "run", "rejects")}
    assert {k: (r["op"], r["reason"]) for k, r in rejects.items()} == {
        "blank": ("ocr", "too_little_text"),
        "bread": ("qa", "unparseable_qa"),
        "sale": ("supported", "unsupported_by_ocr"),
    }
    assert "As an AI language model" in rejects["bread"]["detail"]
    assert "quotes 'half price', not in the OCR text" in rejects["sale"]["detail"]
    assert stats["steps"]["ocr"]["rejected"] == {"too_little_text": 1}
