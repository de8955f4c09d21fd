"""langdetect, seeded: the same text always gets the same code."""

from __future__ import annotations

from mmrecipe.analysis.language import detect_each, detect_languages


def test_languages_of_instructions() -> None:
    texts = [
        "Describe the image in detail.",
        "请详细描述这张图片中的内容。",
        "Beschreiben Sie das Bild ausführlich und nennen Sie alle Farben.",
        "12345",
    ]
    assert detect_each(texts) == ["en", "zh-cn", "de", "unknown"]
    assert detect_each(texts) == detect_each(texts)
    assert detect_languages(texts * 2)["en"] == 2
