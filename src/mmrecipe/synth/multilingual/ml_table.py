"""Tables with merged cells in any language: a two-row header and row groups spanning rows.

Layout (left to right; mirrored for right-to-left languages)::

    | group (rowspan 2) | item (rowspan 2) | values (colspan 3)       |
    |                   |                  | month 1 | month 2 | m. 3 |
    | city A (rowspan k)| product          | n       | n       | n    |
    |                   | product          | n       | n       | n    |

The ground truth is the grid of cells (row, column, rowspan, colspan, text, box); answers are
derived from it: the table as HTML with ``rowspan``/``colspan``, one value looked up by its
group, item and month, or how many rows a group's merged cell spans.
"""

from __future__ import annotations

import random
import re
from html import escape, unescape
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.multilingual.doc_layout import draw_line, text_width
from mmrecipe.synth.multilingual.fonts import FontFace, load_font, pick_face
from mmrecipe.synth.multilingual.languages import expand, grammar_of, is_rtl


def make_table(
    rng: random.Random, language: str, faces: list[FontFace], difficulty: int
) -> tuple[Image.Image, dict[str, Any]]:
    grammar = grammar_of(language)
    words = grammar["table"]
    rules = grammar["rules"]
    n_groups = {1: 2, 2: rng.randint(2, 3), 3: 3}[difficulty]
    groups = rng.sample(rules["city"], n_groups)
    months = list(rules["month"])
    cells: list[dict[str, Any]] = [
        {"r": 0, "c": 0, "rowspan": 2, "colspan": 1, "text": words["group"], "header": True},
        {"r": 0, "c": 1, "rowspan": 2, "colspan": 1, "text": words["item"], "header": True},
        {"r": 0, "c": 2, "rowspan": 1, "colspan": 3, "text": words["values"], "header": True},
    ]
    cells += [
        {"r": 1, "c": 2 + k, "rowspan": 1, "colspan": 1, "text": m, "header": True}
        for k, m in enumerate(months)
    ]
    row = 2
    for group in groups:
        items = rng.sample(rules["product"], rng.randint(2, 3))
        cells.append(
            {"r": row, "c": 0, "rowspan": len(items), "colspan": 1, "text": group, "header": False}
        )
        for item in items:
            cells.append({"r": row, "c": 1, "rowspan": 1, "colspan": 1, "text": item})
            for k in range(3):
                value = str(rng.randint(10, 999))
                cells.append({"r": row, "c": 2 + k, "rowspan": 1, "colspan": 1, "text": value})
            row += 1
    n_rows, n_cols = row, 5
    size = {1: 22, 2: 18, 3: 15}[difficulty]
    bold_face = _face(rng, faces, "bold")
    bold = load_font(bold_face[0], bold_face[1], size)
    body_face = _face(rng, faces, "regular")
    body = load_font(body_face[0], body_face[1], size)
    pad = size // 2
    widths = [0.0] * n_cols
    for cell in cells:
        if cell["colspan"] == 1:
            font = bold if cell.get("header") else body
            widths[cell["c"]] = max(
                widths[cell["c"]], text_width(font, cell["text"], language) + 2 * pad
            )
    row_h = int(size * 1.9)
    margin = 30
    title = expand(rng, language, "title")
    title_font = load_font(bold_face[0], bold_face[1], size + 6)
    table_w = int(sum(widths))
    width = table_w + 2 * margin
    height = margin * 2 + (size + 6) * 2 + row_h * n_rows
    paper = rng.choice([(255, 255, 255), (250, 248, 240)])
    ink = rng.choice([(0, 0, 0), (25, 30, 60)])
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    rtl = is_rtl(language)
    top = margin + (size + 6) * 2
    regions = []
    title_x = width - margin if rtl else margin
    title_region = draw_line(
        draw, title, language, title_font, bold_face[2], title_x, margin, ink, rtl
    )
    regions.append(title_region)
    xs = [margin + sum(widths[:c]) for c in range(n_cols + 1)]
    for cell in cells:
        x0, x1 = xs[cell["c"]], xs[cell["c"] + cell["colspan"]]
        if rtl:  # columns run right to left
            x0, x1 = width - x1, width - x0
        y0 = top + row_h * cell["r"]
        y1 = y0 + row_h * cell["rowspan"]
        if cell.get("header"):
            draw.rectangle([x0, y0, x1, y1], fill=(232, 236, 242), outline=ink, width=1)
        else:
            draw.rectangle([x0, y0, x1, y1], outline=ink, width=1)
        font = bold if cell.get("header") else body
        label = bold_face[2] if cell.get("header") else body_face[2]
        tw = text_width(font, cell["text"], language)
        fb = font.getbbox(cell["text"])
        region = draw_line(
            draw,
            cell["text"],
            language,
            font,
            label,
            (x0 + x1 - tw) / 2,
            (y0 + y1 - (fb[3] - fb[1])) / 2,
            ink,
        )
        cell["box"] = [round(x0), round(y0), round(x1), round(y1)]
        region["cell"] = [cell["r"], cell["c"]]
        regions.append(region)
    gt = {
        "mode": "table",
        "language": language,
        "title": title,
        "n_rows": n_rows,
        "n_cols": n_cols,
        "cells": cells,
        "regions": regions,
        "lines": [r["text"] for r in regions],
    }
    return image, gt


def _face(rng: random.Random, faces: list[FontFace], style: str) -> tuple[str, int, str]:
    face = rng.choice(pick_face(faces, style))
    return face.path, face.index, face.label


def table_html(gt: dict[str, Any]) -> str:
    """The table as HTML: header rows in ``<th>``, merged cells with rowspan/colspan."""
    rows: list[list[dict[str, Any]]] = [[] for _ in range(gt["n_rows"])]
    for cell in gt["cells"]:
        rows[cell["r"]].append(cell)
    out = ["<table>"]
    for cells in rows:
        out.append("<tr>")
        for cell in sorted(cells, key=lambda c: c["c"]):
            tag = "th" if cell.get("header") else "td"
            span = "".join(f' {k}="{cell[k]}"' for k in ("rowspan", "colspan") if int(cell[k]) > 1)
            out.append(f"<{tag}{span}>{escape(cell['text'])}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


_CELL = re.compile(r"<(t[hd])((?:\s+\w+=\"?\d+\"?)*)\s*>(.*?)</t[hd]>", re.S | re.I)
_ATTR = re.compile(r"(rowspan|colspan)=\"?(\d+)\"?", re.I)


def parse_html_cells(html: str) -> list[tuple[int, int, int, int, str]] | None:
    """(row, column, rowspan, colspan, text) of every cell, columns resolved through the
    spans above (the grid an HTML renderer builds); None when it is no table."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S | re.I)
    if not rows:
        return None
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(rows):
        c = 0
        for _tag, attrs, text in _CELL.findall(row):
            while (r, c) in taken:
                c += 1
            spans = {k.lower(): int(v) for k, v in _ATTR.findall(attrs)}
            rs, cs = spans.get("rowspan", 1), spans.get("colspan", 1)
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            out.append((r, c, rs, cs, " ".join(unescape(text).split())))
            c += cs
    return out
