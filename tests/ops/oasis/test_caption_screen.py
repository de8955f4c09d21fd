"""Rule screening of recycled captions: each kind of junk gets its own reason."""

from __future__ import annotations

import pytest

from mmrecipe.registry import build_op
from mmrecipe.sample import Sample

GOOD = "A red double-decker bus drives past a stone church while pedestrians wait at the crossing."


def screen(text: str, **params) -> str | None:
    op = build_op("caption_screen", "screen", params)
    (sample,) = op.process_batch([Sample(id="s", fields={"caption": text})])
    return sample.rejection.reason if sample.rejection else None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GOOD, None),
        ("一只橘色的猫躺在阳光明媚的窗台上，旁边放着一盆绿色的植物。", None),
        (GOOD + " <|im_end|>", "special_tokens"),
        ("<image> " + GOOD, "special_tokens"),
        (GOOD + "</s>", "special_tokens"),
        ("Assistant: " + GOOD, "stray_fields"),
        (GOOD + "\nQuestion: what color is the bus?", "stray_fields"),
        ('{"caption": "a bus", "tags": ["red"]}', "stray_fields"),
        ("A bus.", "too_short"),
        ("the cat sat on the mat " * 20, "repetitive"),
        ("", "missing_field"),
    ],
)
def test_screen_reasons(text: str, reason: str | None) -> None:
    assert screen(text) == reason


def test_limits_are_configurable() -> None:
    assert screen(GOOD, min_words=1, max_words=5) == "too_long"
    assert screen(GOOD + " <|im_end|>", reject_special_tokens=False) is None
