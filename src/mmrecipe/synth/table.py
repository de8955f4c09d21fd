"""Tables rendered with PIL in varied styles, with lookup, aggregate and recognition targets.

The ground truth is the table itself (header, cell strings, which columns are numeric) plus the
question spec; :meth:`TableGenerator.verify` recomputes lookups, sums, means, extrema and counts
from it, and compares markdown / HTML recognition answers cell by cell. Cell boxes (pixels) go
to ``fields.cells`` for grounding.
"""

from __future__ import annotations

import random
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.base import Generator, SynthItem, check_choices, register_generator
from mmrecipe.synth.phrasing import compose
from mmrecipe.synth.render import (
    BOLD_FONTS,
    compare_tables,
    fmt_num,
    html_table,
    markdown_table,
    match_answer,
    parse_number,
    parse_table,
    pil_font,
)
from mmrecipe.synth.vocab import CITIES

TASKS = ("lookup", "sum", "mean", "argmax", "argmin", "count_above", "to_markdown", "to_html")
STYLES = ("grid", "rows", "zebra", "minimal")

_NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Dan",
    "Emma",
    "Finn",
    "Grace",
    "Hugo",
    "Iris",
    "Jack",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Yara",
    "Zoe",
]
_COUNTRIES = [
    "Chile",
    "Egypt",
    "France",
    "Ghana",
    "India",
    "Japan",
    "Kenya",
    "Mexico",
    "Norway",
    "Peru",
    "Spain",
    "Sweden",
    "Chad",
    "Fiji",
    "Oman",
]
_PRODUCTS = [
    "Desk",
    "Chair",
    "Lamp",
    "Shelf",
    "Sofa",
    "Rug",
    "Mirror",
    "Clock",
    "Vase",
    "Bench",
    "Stool",
    "Cabinet",
    "Bed",
]
_CITIES = list(CITIES)
# entity column, pool, [(column, low, high, decimals, thousands separator)]
_THEMES: list[tuple[str, list[str], list[tuple[str, float, float, int, bool]]]] = [
    (
        "Country",
        _COUNTRIES,
        [
            ("Population (M)", 1, 300, 1, False),
            ("GDP ($B)", 20, 3000, 0, True),
            ("Life expectancy", 55, 85, 1, False),
            ("Area (k km2)", 10, 3000, 0, True),
            ("Exports ($B)", 1, 600, 0, False),
        ],
    ),
    (
        "Employee",
        _NAMES,
        [
            ("Age", 21, 65, 0, False),
            ("Salary ($)", 28000, 150000, 0, True),
            ("Years of service", 0, 40, 0, False),
            ("Rating", 1, 5, 1, False),
            ("Projects", 0, 40, 0, False),
        ],
    ),
    (
        "Product",
        _PRODUCTS,
        [
            ("Price ($)", 5, 900, 2, False),
            ("Stock", 0, 400, 0, False),
            ("Sold", 10, 5000, 0, True),
            ("Rating", 1, 5, 1, False),
            ("Returns", 0, 60, 0, False),
        ],
    ),
    (
        "Student",
        _NAMES,
        [
            ("Math", 30, 100, 0, False),
            ("Physics", 30, 100, 0, False),
            ("History", 30, 100, 0, False),
            ("Art", 30, 100, 0, False),
            ("Music", 30, 100, 0, False),
        ],
    ),
    (
        "City",
        _CITIES,
        [
            ("Temp (C)", -5, 35, 1, False),
            ("Rain (mm)", 100, 2500, 0, True),
            ("Sunny days", 40, 330, 0, False),
            ("Pop. (k)", 50, 9000, 0, True),
            ("Parks", 2, 150, 0, False),
        ],
    ),
]


#: column -> (other column, margin): value <= other - margin (years of service start at 18)
RELATIONS: dict[str, tuple[str, float]] = {"Years of service": ("Age", 18)}


@register_generator("table")
class TableGenerator(Generator):
    """Rendered tables. Difficulty: 1 = 3-5 rows x 2-3 value columns, 2 = 5-8 x 3-4,
    3 = 8-12 x 4-5 with a caption and denser styles."""

    def __init__(self, tasks: list[str] | None = None, styles: list[str] | None = None) -> None:
        self.tasks = check_choices("task", tasks, TASKS)
        self.styles = check_choices("style", styles, STYLES)

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        table = _make_table(rng, difficulty)
        task = rng.choice(self.tasks)
        question = _make_question(rng, task, table)
        style = _make_style(rng, rng.choice(self.styles), difficulty)
        gt = {"table": table, "style": style, "question": question}
        answer, rationale = derive_answer(gt)
        image, cells = render_table(table, style)
        return SynthItem(
            images=[image],
            task=task,
            ground_truth=gt,
            question=question["text"],
            answer=answer,
            rationale=rationale,
            extra={"cells": cells},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        expected, _ = derive_answer(ground_truth)
        if ground_truth["question"]["task"] in ("to_markdown", "to_html"):
            return compare_tables(parse_table(expected) or [], parse_table(answer))
        return match_answer(expected, answer)


def _make_table(rng: random.Random, difficulty: int) -> dict[str, Any]:
    entity, pool, columns = rng.choice(_THEMES)
    n_rows = rng.randint(*{1: (3, 5), 2: (5, 8), 3: (8, 12)}[difficulty])
    n_cols = rng.randint(*{1: (2, 3), 2: (3, 4), 3: (4, 5)}[difficulty])
    cols = rng.sample(columns, n_cols)
    names = rng.sample(pool, min(n_rows, len(pool)))
    rows = []
    for name in names:
        # every column of the theme is drawn (shown or not), in the theme's order, so a
        # relation such as service <= age - 18 holds whichever columns the table shows
        drawn: dict[str, float] = {}
        for col_name, lo, hi, dec, _sep in columns:
            bound = RELATIONS.get(col_name)
            if bound is not None and bound[0] in drawn:
                hi = max(lo, min(hi, drawn[bound[0]] - bound[1]))
            drawn[col_name] = round(rng.uniform(lo, hi), dec)
        row = [name]
        for col_name, _lo, _hi, dec, sep in cols:
            value = drawn[col_name]
            row.append(f"{value:,.{dec}f}" if sep else fmt_num(value, dec))
        rows.append(row)
    return {
        "header": [entity] + [c[0] for c in cols],
        "rows": rows,
        "decimals": [0] + [c[3] for c in cols],
        "numeric": [False] + [True] * n_cols,
        "caption": f"Table {rng.randint(1, 9)}: {entity} statistics" if difficulty > 1 else "",
    }


def _plural(noun: str) -> str:
    """English plural of the entity nouns the themes use (country, employee, city...)."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def _column(table: dict[str, Any], col: int) -> list[float]:
    return [float(parse_number(r[col]) or 0.0) for r in table["rows"]]


def _make_question(rng: random.Random, task: str, table: dict[str, Any]) -> dict[str, Any]:
    header, rows = table["header"], table["rows"]
    col = rng.randrange(1, len(header))
    q: dict[str, Any] = {"task": task, "column": col}
    entity = header[0].lower()
    if task == "lookup":
        r = rng.randrange(len(rows))
        q["row"] = r
        q["text"] = compose(
            rng,
            (
                "What is the {col} of {name}?",
                "According to the table, what is the {col} value for {name}?",
                "Read the {col} of {name} from the table.",
                "Which {col} does the table give for {name}?",
            ),
            col=header[col],
            name=rows[r][0],
        )
    elif task == "sum":
        q["text"] = compose(
            rng,
            (
                "What is the total of the {col} column?",
                "Add up the {col} column. What is the sum?",
                "What do the {col} values of all {n} rows sum to?",
            ),
            col=header[col],
            n=len(rows),
        )
    elif task == "mean":
        q["text"] = compose(
            rng,
            (
                "What is the average of the {col} column?",
                "Compute the mean {col} across the {n} rows.",
                "What is the mean of the {col} values in the table?",
            ),
            ("Round to two decimal places.", "Give the answer to two decimal places."),
            col=header[col],
            n=len(rows),
        )
    elif task in ("argmax", "argmin"):
        vals = _column(table, col)
        target = max(vals) if task == "argmax" else min(vals)
        if vals.count(target) > 1:  # another column, or nudge the first tied cell
            k = vals.index(target)
            dec = table["decimals"][col]
            nudged = target + (10**-dec if task == "argmax" else -(10**-dec))
            rows[k][col] = fmt_num(nudged, dec)
        word = "highest" if task == "argmax" else "lowest"
        q["text"] = compose(
            rng,
            ("Which {entity} has the {word} {col}?", "Find the {entity} with the {word} {col}."),
            entity=entity,
            word=word,
            col=header[col],
        )
    elif task == "count_above":
        vals = sorted(_column(table, col))
        threshold = vals[rng.randrange(len(vals))]
        dec = table["decimals"][col]
        q.update(
            threshold=threshold,
            text=compose(
                rng,
                (
                    "In how many rows is the {col} greater than {x}?",
                    "How many {entities} have a {col} above {x}?",
                    "Count the rows whose {col} value exceeds {x}.",
                ),
                col=header[col],
                x=fmt_num(threshold, dec),
                entities=_plural(entity),
            ),
        )
    elif task == "to_markdown":
        q["text"] = compose(
            rng,
            ("", "", "The image shows a table of {n} {entities}."),
            (
                "Transcribe the table in the image as a markdown table.",
                "Write this table out in markdown.",
                "Convert the table to markdown, keeping every row and column.",
                "Reproduce the table as a markdown table with the header row first.",
            ),
            n=len(rows),
            entities=_plural(entity),
        )
    elif task == "to_html":
        q["text"] = compose(
            rng,
            ("", "", "The image shows a table of {n} {entities}."),
            (
                "Convert the table in the image to HTML.",
                "Write the table as an HTML <table> element.",
                "Give the HTML markup of this table, one <tr> per row.",
            ),
            n=len(rows),
            entities=_plural(entity),
        )
    return q


def derive_answer(gt: dict[str, Any]) -> tuple[str, str | None]:
    """The answer (with a short computation where needed) from the stored table."""
    table, q = gt["table"], gt["question"]
    task, col = q["task"], q["column"]
    header, rows = table["header"], table["rows"]
    if task == "lookup":
        return rows[q["row"]][col], None
    vals = _column(table, col)
    dec = table["decimals"][col]
    if task == "sum":
        total = round(sum(vals), dec)
        why = f"Adding the {header[col]} column: {' + '.join(r[col] for r in rows)} = "
        return fmt_num(total, dec), why + f"{fmt_num(total, dec)}."
    if task == "mean":
        total = round(sum(vals), dec)
        mean = sum(vals) / len(vals)
        why = (
            f"The {len(vals)} values sum to {fmt_num(total, dec)}; "
            f"{fmt_num(total, dec)} / {len(vals)} = {mean:.2f}."
        )
        return f"{mean:.2f}", why
    if task in ("argmax", "argmin"):
        pick = max if task == "argmax" else min
        return rows[vals.index(pick(vals))][0], None
    if task == "count_above":
        above = [r[0] for r, v in zip(rows, vals, strict=True) if v > q["threshold"]]
        why = f"Rows above the threshold: {', '.join(above) if above else 'none'}."
        return str(len(above)), why
    if task == "to_markdown":
        return markdown_table(header, rows), None
    if task == "to_html":
        return html_table(header, rows), None
    raise ValueError(f"unknown table task {task!r}")


def _make_style(rng: random.Random, kind: str, difficulty: int) -> dict[str, Any]:
    accent = rng.choice(["#dbe9f6", "#e8e8e8", "#fde9d9", "#e2f0d9", "#2f4f7f", "#444444"])
    return {
        "kind": kind,
        "font": rng.choice(["sans", "serif", "mono", "stix"]),
        "header_font": rng.choice(BOLD_FONTS),
        "font_size": rng.choice([13, 14, 15, 16] if difficulty < 3 else [12, 13, 14]),
        "pad_x": rng.randint(8, 16),
        "pad_y": rng.randint(4, 9),
        "margin": rng.randint(10, 30),
        "header_fill": accent,
        "header_text": "#ffffff" if accent in ("#2f4f7f", "#444444") else "#000000",
        "zebra_fill": rng.choice(["#f2f2f2", "#eef4fb", "#fbf5ea"]),
        "line": rng.choice(["#000000", "#555555", "#999999"]),
        "background": rng.choice(["#ffffff", "#ffffff", "#fcfbf7"]),
    }


def render_table(
    table: dict[str, Any], style: dict[str, Any]
) -> tuple[Image.Image, list[dict[str, Any]]]:
    """Draw the table; returns the image and each cell's text and pixel box."""
    body = pil_font(style["font"], style["font_size"])
    head = pil_font(style["header_font"], style["font_size"])
    cap = pil_font(style["font"], style["font_size"] + 1)
    header, rows = table["header"], table["rows"]
    px, py, m = style["pad_x"], style["pad_y"], style["margin"]
    widths = [
        max(
            int(head.getlength(header[c])),
            *(int(body.getlength(r[c])) for r in rows),
        )
        + 2 * px
        for c in range(len(header))
    ]
    line_h = style["font_size"] + 6
    row_h = line_h + 2 * py
    cap_h = line_h + 8 if table["caption"] else 0
    width = sum(widths) + 2 * m
    height = row_h * (len(rows) + 1) + 2 * m + cap_h
    image = Image.new("RGB", (width, height), style["background"])
    draw = ImageDraw.Draw(image)
    if table["caption"]:
        draw.text((m, m), table["caption"], font=cap, fill="#000000")
    top = m + cap_h
    xs = [m]
    for w in widths:
        xs.append(xs[-1] + w)
    kind, line = style["kind"], style["line"]
    cells: list[dict[str, Any]] = []
    for r in range(len(rows) + 1):
        y0 = top + r * row_h
        if r == 0 and kind != "minimal":
            draw.rectangle([xs[0], y0, xs[-1], y0 + row_h], fill=style["header_fill"])
        elif r > 0 and kind == "zebra" and r % 2 == 0:
            draw.rectangle([xs[0], y0, xs[-1], y0 + row_h], fill=style["zebra_fill"])
        values = header if r == 0 else rows[r - 1]
        font = head if r == 0 else body
        color = style["header_text"] if r == 0 and kind != "minimal" else "#000000"
        for c, text in enumerate(values):
            tw = font.getlength(text)
            right = table["numeric"][c] and r > 0
            x = xs[c + 1] - px - tw if right else xs[c] + px
            draw.text((x, y0 + py + 2), text, font=font, fill=color)
            box = draw.textbbox((x, y0 + py + 2), text, font=font)
            cells.append({"row": r, "col": c, "text": text, "bbox": [int(v) for v in box]})
    bottom = top + row_h * (len(rows) + 1)
    if kind in ("grid", "rows", "zebra"):
        for r in range(len(rows) + 2):
            if kind == "zebra" and 0 < r < len(rows) + 1 and r != 1:
                continue
            y = top + r * row_h
            draw.line([xs[0], y, xs[-1], y], fill=line, width=1)
    if kind == "grid":
        for x in xs:
            draw.line([x, top, x, bottom], fill=line, width=1)
    if kind == "minimal":
        draw.line([xs[0], top, xs[-1], top], fill=line, width=2)
        draw.line([xs[0], top + row_h, xs[-1], top + row_h], fill=line, width=1)
        draw.line([xs[0], bottom, xs[-1], bottom], fill=line, width=2)
    return image, cells
