"""Multilingual pages and forms: every line from the page language's grammar, every box known.

``page``: a title, key-value fields ("Name: ...") and paragraphs of grammar sentences, wrapped
to the page (right-aligned for right-to-left languages). ``form``: a title and a grid of
labelled boxes, each holding its value (a filled-in form). Both return the regions (lines with
quads and words) and the fields, from which every answer is derived.
"""

from __future__ import annotations

import random
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.multilingual.doc_layout import draw_line, text_width, wrap
from mmrecipe.synth.multilingual.fonts import FontFace, load_font, pick_face
from mmrecipe.synth.multilingual.languages import (
    expand,
    expand_distinct,
    grammar_of,
    is_rtl,
    script_of,
)

_PAPERS = [(255, 255, 255), (250, 247, 238), (245, 245, 240)]
_INKS = [(0, 0, 0), (30, 30, 30), (20, 30, 70)]


def _fields(rng: random.Random, language: str, n: int) -> dict[str, str]:
    form = grammar_of(language)["form"]
    keys = rng.sample(list(form), n)
    return {k: expand(rng, language, form[k]) for k in keys}


def _faces(rng: random.Random, faces: list[FontFace]) -> tuple[FontFace, FontFace]:
    regular = rng.choice(pick_face(faces, "regular"))
    bold = rng.choice(pick_face(faces, "bold"))
    return regular, bold


def make_page(
    rng: random.Random, language: str, faces: list[FontFace], difficulty: int
) -> tuple[Image.Image, dict[str, Any]]:
    size = rng.randint(*{1: (20, 24), 2: (16, 19), 3: (13, 15)}[difficulty])
    width = rng.choice([520, 600, 680])
    margin = rng.randint(28, 44)
    regular, bold = _faces(rng, faces)
    body = load_font(regular.path, regular.index, size)
    head = load_font(bold.path, bold.index, size + 8)
    title = expand(rng, language, "title")
    fields = _fields(rng, language, rng.randint(3, 4))
    n_sentences = {1: 2, 2: rng.randint(3, 4), 3: rng.randint(4, 6)}[difficulty]
    joiner = "" if script_of(language) in ("han", "japanese") else " "  # no spaces in CJK
    paragraph = joiner.join(expand_distinct(rng, language, "sentence", n_sentences))
    lines: list[tuple[str, Any, FontFace]] = [(title, head, bold)]
    lines += [(f"{k}: {v}", body, regular) for k, v in fields.items()]
    lines += [(t, body, regular) for t in wrap(paragraph, body, language, width - 2 * margin)]
    gap = int(size * 1.6)
    height = 2 * margin + gap * (len(lines) + 2)
    image = Image.new("RGB", (width, height), rng.choice(_PAPERS))
    draw = ImageDraw.Draw(image)
    ink = rng.choice(_INKS)
    rtl = is_rtl(language)
    x = width - margin if rtl else margin
    y = float(margin)
    regions = []
    for k, (text, font, face) in enumerate(lines):
        regions.append(draw_line(draw, text, language, font, face.label, x, y, ink, rtl))
        y += gap + (gap if k == 0 else 0) + (gap // 2 if k == len(fields) else 0)
    gt = {
        "mode": "page",
        "language": language,
        "title": title,
        "fields": fields,
        "regions": regions,
        "lines": [r["text"] for r in regions],
    }
    return image, gt


def make_form(
    rng: random.Random, language: str, faces: list[FontFace], difficulty: int
) -> tuple[Image.Image, dict[str, Any]]:
    size = {1: 20, 2: 17, 3: 14}[difficulty]
    regular, bold = _faces(rng, faces)
    label_font = load_font(bold.path, bold.index, max(11, size - 4))
    value_font = load_font(regular.path, regular.index, size)
    head = load_font(bold.path, bold.index, size + 8)
    title = expand(rng, language, "title")
    fields = _fields(rng, language, rng.randint(4, 6))
    cols = 2
    margin, gutter = 32, 20
    box_w = (
        max(
            max(text_width(value_font, v, language) for v in fields.values()),
            max(text_width(label_font, k, language) for k in fields),
        )
        + 2 * size
    )
    box_h = int(size * 1.9)
    label_h = int(size * 1.3)
    n_rows = (len(fields) + cols - 1) // cols
    width = int(2 * margin + cols * box_w + (cols - 1) * gutter)
    height = int(2 * margin + (size + 8) * 2 + n_rows * (label_h + box_h + gutter))
    image = Image.new("RGB", (width, height), rng.choice(_PAPERS))
    draw = ImageDraw.Draw(image)
    ink = rng.choice(_INKS)
    pen = rng.choice([(0, 0, 140), (0, 0, 0), (40, 40, 40)])  # the filled-in values
    rtl = is_rtl(language)
    regions = [
        draw_line(
            draw,
            title,
            language,
            head,
            bold.label,
            width - margin if rtl else margin,
            margin,
            ink,
            rtl,
        )
    ]
    boxes: dict[str, list[int]] = {}
    top = margin + (size + 8) * 2
    for k, (key, value) in enumerate(fields.items()):
        r, c = divmod(k, cols)
        if rtl:
            c = cols - 1 - c
        x0 = margin + c * (box_w + gutter)
        y0 = top + r * (label_h + box_h + gutter)
        label = draw_line(
            draw,
            key,
            language,
            label_font,
            bold.label,
            x0 + box_w if rtl else x0,
            y0,
            ink,
            rtl,
        )
        label["role"] = "key"
        by0 = y0 + label_h
        draw.rectangle([x0, by0, x0 + box_w, by0 + box_h], outline=ink, width=1)
        vb = value_font.getbbox(value)
        vy = by0 + (box_h - (vb[3] - vb[1])) / 2
        vx = x0 + box_w - size if rtl else x0 + size
        filled = draw_line(draw, value, language, value_font, regular.label, vx, vy, pen, rtl)
        filled.update(role="value", key=key)
        regions += [label, filled]
        boxes[key] = [round(x0), round(by0), round(x0 + box_w), round(by0 + box_h)]
    gt = {
        "mode": "form",
        "language": language,
        "title": title,
        "fields": fields,
        "field_boxes": boxes,
        "regions": regions,
        "lines": [r["text"] for r in regions],
    }
    return image, gt
