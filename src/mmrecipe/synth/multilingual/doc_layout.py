"""Drawing text lines on a page in any script, each line kept as a region with word boxes.

A region is what :mod:`mmrecipe.ops.synthesis.text_region_consensus` reads back (text, language,
quad) and what the multilingual document answers are derived from. Right-to-left lines are
drawn right-aligned by default; wrapping breaks at spaces, or between any two characters in
Chinese and Japanese (which write no spaces).
"""

from __future__ import annotations

from typing import Any

from PIL import ImageDraw, ImageFont

from mmrecipe.synth.multilingual.languages import is_rtl, script_of
from mmrecipe.synth.multilingual.scene_text import corners, word_boxes, word_record


def direction_of(language: str) -> str:
    return "rtl" if is_rtl(language) else "ltr"


def text_width(font: ImageFont.FreeTypeFont, text: str, language: str) -> float:
    return float(font.getlength(text, direction=direction_of(language)))


def wrap(text: str, font: ImageFont.FreeTypeFont, language: str, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (a single over-long word stays whole)."""
    cjk = script_of(language) in ("han", "japanese")
    units = list(text) if cjk else text.split(" ")
    joiner = "" if cjk else " "
    lines: list[str] = []
    current: list[str] = []
    for unit in units:
        trial = joiner.join([*current, unit])
        if current and text_width(font, trial, language) > width:
            lines.append(joiner.join(current))
            current = [unit]
        else:
            current.append(unit)
    if current:
        lines.append(joiner.join(current))
    return lines


def draw_line(
    draw: ImageDraw.ImageDraw,
    text: str,
    language: str,
    font: ImageFont.FreeTypeFont,
    face_label: str,
    x: float,
    y: float,
    fill: tuple[int, int, int],
    anchor_right: bool = False,
) -> dict[str, Any]:
    """Draw one line with its top-left (or top-right when ``anchor_right``) at (x, y); the
    region record: text, language, quad, bbox and word boxes in page pixels."""
    direction = direction_of(language)
    left, top, right, bottom = font.getbbox(text, direction=direction)
    width = right - left
    x0 = x - width if anchor_right else x
    origin = (x0 - left, y - top)
    draw.text(origin, text, font=font, fill=fill, direction=direction)
    box = (x0, y, x0 + width, y + (bottom - top))
    words = [
        word_record(w, corners(b)) for w, b in word_boxes(text, font, direction, origin, int(width))
    ]
    record = word_record(text, corners(box))
    return {
        "text": text,
        "language": language,
        "script": script_of(language),
        "direction": direction,
        "font": face_label,
        "font_size": int(font.size),
        "quad": record["quad"],
        "bbox": record["bbox"],
        "words": words,
    }
