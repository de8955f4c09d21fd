"""Paper-like pages: a title, key-value fields and grammar-written paragraphs, every word boxed."""

from __future__ import annotations

import random
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.document.words import box_corners, degrade, rotate_points, word_record
from mmrecipe.synth.prose import sentences
from mmrecipe.synth.render import BOLD_FONTS, TEXT_FONTS, pil_font
from mmrecipe.synth.vocab import FIRST_NAMES, LAST_NAMES

_TITLES = (
    "Invoice",
    "Quarterly Report",
    "Meeting Minutes",
    "Shipping Notice",
    "Account Statement",
    "Project Update",
    "Service Order",
)
#: the first twelve of the shared pools: the names pages always drew customers from (a longer
#: pool would change every seeded page's bytes)
_CUSTOMER_FIRST = FIRST_NAMES[:12]
_CUSTOMER_LAST = LAST_NAMES[:12]


def _fields(rng: random.Random) -> dict[str, str]:
    year = rng.randint(2015, 2025)
    makers = {
        "Invoice No": lambda: str(rng.randint(10000, 99999)),
        "Date": lambda: f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "Customer": lambda: f"{rng.choice(_CUSTOMER_FIRST)} {rng.choice(_CUSTOMER_LAST)}",
        "Total": lambda: f"${rng.randint(10, 9999):,}.{rng.randint(0, 99):02d}",
        "Order ID": lambda: f"A-{rng.randint(1000, 9999)}",
        "Phone": lambda: f"555-{rng.randint(0, 9999):04d}",
        "Due Date": lambda: f"{year + 1}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "Account": lambda: f"{rng.randint(100, 999)}-{rng.randint(10000, 99999)}",
    }
    keys = rng.sample(sorted(makers), rng.randint(3, 5))
    return {k: makers[k]() for k in keys}


def make_page(rng: random.Random, difficulty: int) -> tuple[Image.Image, dict[str, Any]]:
    size = rng.randint(*{1: (18, 22), 2: (15, 18), 3: (12, 15)}[difficulty])
    width = rng.choice([480, 560, 640])
    body = pil_font(rng.choice(TEXT_FONTS), size)
    bold = pil_font(rng.choice(BOLD_FONTS), size + 6)
    margin = rng.randint(24, 48)
    title = rng.choice(_TITLES)
    fields = _fields(rng)
    lines: list[tuple[list[str], Any]] = [(title.split(), bold)]
    lines += [(f"{k}: {v}".split(), body) for k, v in fields.items()]
    n_par = {1: 1, 2: rng.randint(1, 2), 3: rng.randint(2, 3)}[difficulty]
    space = body.getlength(" ")
    per_par = [rng.randint(1, 3) for _ in range(n_par)]  # ~35 words a page, as before
    text = sentences(rng, title, sum(per_par), fields)
    for k in range(n_par):
        first = sum(per_par[:k])
        words = " ".join(text[first : first + per_par[k]]).split()
        current: list[str] = []
        for word in words:
            trial = [*current, word]
            if current and body.getlength(" ".join(trial)) > width - 2 * margin:
                lines.append((current, body))
                current = [word]
            else:
                current = trial
        if current:
            lines.append((current, body))
    line_gap = int(size * rng.uniform(1.35, 1.7))
    height = margin * 2 + line_gap * (len(lines) + 1) + n_par * line_gap // 2
    paper = rng.choice([(255, 255, 255), (250, 247, 238), (245, 245, 240), (252, 250, 244)])
    ink = rng.choice([(0, 0, 0), (30, 30, 30), (20, 30, 70)])
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    words_out: list[dict[str, Any]] = []
    y = margin
    for k, (words, font) in enumerate(lines):
        x = float(margin)
        for word in words:
            draw.text((x, y), word, font=font, fill=ink)
            box = draw.textbbox((x, y), word, font=font)
            words_out.append(word_record(word, box_corners(box), k))
            x += font.getlength(word) + space
        y += line_gap + (line_gap if k == 0 else 0)
        if k == len(fields):  # gap between the fields and the text
            y += line_gap // 2
    angle = {1: 0.0, 2: round(rng.uniform(-2, 2), 2), 3: round(rng.uniform(-5, 5), 2)}[difficulty]
    if angle:
        new = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=paper)
        for w in words_out:
            quad = rotate_points([tuple(p) for p in w["quad"]], angle, image.size, new.size)
            w.update(word_record(w["text"], quad, w["line"]))
        image = new
    blur = {1: 0.0, 2: 0.0, 3: round(rng.uniform(0.3, 0.9), 2)}[difficulty]
    noise = {1: 0.0, 2: 0.0, 3: 8.0}[difficulty]
    image = degrade(image, rng, blur, noise)
    gt = {
        "mode": "page",
        "lines": [" ".join(words) for words, _ in lines],
        "fields": fields,
        "words": words_out,
        "render": {"font_size": size, "angle": angle, "blur": blur, "noise": noise},
    }
    return image, gt
