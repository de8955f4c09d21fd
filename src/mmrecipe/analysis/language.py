"""Language of each instruction, as the Oasis paper measured it: ``langdetect`` (bundled
profiles, no network), seeded so the same text always gets the same answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

UNKNOWN = "unknown"


def detect_each(texts: Iterable[str]) -> list[str]:
    """The ISO code (``en``, ``zh-cn``, ``fr``...) of each text; ``unknown`` where langdetect
    finds no letters to go on (numbers, emoji, empty text)."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    codes = []
    for text in texts:
        try:
            codes.append(detect(text))
        except LangDetectException:
            codes.append(UNKNOWN)
    return codes


def detect_languages(texts: Iterable[str]) -> Counter[str]:
    """Language code -> number of texts."""
    return Counter(detect_each(texts))
