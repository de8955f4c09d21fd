"""Deterministic rendering helpers shared by the synthesis generators.

Fonts are fixed files bundled with matplotlib (DejaVu, STIX, Computer Modern), never looked up
by family name on the host, so the same seed gives the same pixels wherever matplotlib's version
is the same. Figures are drawn with the Agg canvas straight into an array: no ``savefig``, so no
timestamps or software metadata reach the PNG.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from PIL import Image, ImageFont

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"

#: font name -> file in matplotlib's bundled fonts
FONT_FILES: dict[str, str] = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "sans-oblique": "DejaVuSans-Oblique.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono-bold": "DejaVuSansMono-Bold.ttf",
    "stix": "STIXGeneral.ttf",
    "stix-bold": "STIXGeneralBol.ttf",
}

#: fonts good for body text and for headers
TEXT_FONTS = ("sans", "serif", "mono", "stix", "sans-oblique", "serif-italic")
BOLD_FONTS = ("sans-bold", "serif-bold", "mono-bold", "stix-bold")

PALETTES: dict[str, list[str]] = {
    "tab10": ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"],
    "pastel": ["#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5"],
    "dark": ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"],
    "blues": ["#08306b", "#2171b5", "#6baed6", "#9ecae1", "#4292c6", "#c6dbef", "#084594"],
    "warm": ["#b2182b", "#ef8a62", "#fddbc7", "#d6604d", "#f4a582", "#67001f", "#e08214"],
    "mono": ["#252525", "#636363", "#969696", "#bdbdbd", "#525252", "#737373", "#d9d9d9"],
}

# matplotlib keeps global state (rcParams, caches): render one figure at a time
_MPL_LOCK = threading.Lock()


def font_path(name: str) -> str:
    return str(FONT_DIR / FONT_FILES[name])


@lru_cache(maxsize=256)
def pil_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A PIL font from matplotlib's bundled files (cached: loading costs more than drawing)."""
    return ImageFont.truetype(font_path(name), size)


@contextmanager
def mpl_figure(width_in: float, height_in: float, dpi: int) -> Iterator[Figure]:
    """A fresh Agg figure under matplotlib's built-in defaults (ignores the user's matplotlibrc)."""
    with _MPL_LOCK, matplotlib.rc_context():
        matplotlib.rcParams.update(matplotlib.rcParamsDefault)
        matplotlib.rcParams["svg.hashsalt"] = "mmrecipe"
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        FigureCanvasAgg(fig)
        yield fig


def pin_fonts(fig: Figure, font: str) -> None:
    """Give every text of ``fig`` the bundled font file ``font``, keeping each text's size."""
    path = font_path(font)
    for text in fig.findobj(Text):
        text.set_fontproperties(FontProperties(fname=path, size=text.get_fontsize()))


def figure_image(fig: Figure) -> Image.Image:
    """Draw ``fig`` and return its pixels as an RGB image."""
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
    return Image.fromarray(rgba[..., :3].copy(), "RGB")


def np_rng(rng: random.Random) -> np.random.Generator:
    """A numpy generator drawn from the item's RNG (so noise is seeded too)."""
    return np.random.default_rng(rng.getrandbits(64))


def fmt_num(value: float, decimals: int) -> str:
    """Numbers as they appear in images and answers: fixed decimals, no exponent."""
    return f"{value:.{decimals}f}"


def parse_number(text: str) -> float | None:
    """A number out of an answer like ``"12.5%"``, ``"$1,200"`` or ``"about 7"``; None if none."""
    import re

    cleaned = text.replace(",", "").replace("$", "").replace("%", "").strip().rstrip(".")
    try:
        return float(cleaned)
    except ValueError:
        pass
    found = re.findall(r"-?\d+(?:\.\d+)?", cleaned)
    if len(found) == 1:
        return float(found[0])
    return None


def norm_text(text: str) -> str:
    """Case- and space-insensitive form of a short text answer."""
    return " ".join(text.strip().strip(".").lower().split())


def numbers_match(expected: float, got: float, decimals: int) -> bool:
    return abs(expected - got) <= 0.5 * 10 ** (-decimals) + 1e-9


def match_answer(expected: str, answer: str) -> str | None:
    """Compare a short answer: numerically when ``expected`` is a number, else as text."""
    exp_num = parse_number(expected) if _looks_numeric(expected) else None
    if exp_num is not None:
        got = parse_number(answer)
        if got is None:
            return f"expected the number {expected}, got {answer!r}"
        decimals = len(expected.split(".")[1]) if "." in expected else 0
        if not numbers_match(exp_num, got, decimals):
            return f"expected {expected}, got {answer!r}"
        return None
    if norm_text(expected) != norm_text(answer):
        return f"expected {expected!r}, got {answer!r}"
    return None


def _looks_numeric(text: str) -> bool:
    cleaned = text.replace(",", "").replace("$", "").replace("%", "").strip()
    try:
        float(cleaned)
    except ValueError:
        return False
    return True


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def csv_table(header: list[str], rows: list[list[str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().rstrip("\n")


def html_table(header: list[str], rows: list[list[str]]) -> str:
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def parse_table(text: str) -> list[list[str]] | None:
    """Cells of a markdown, CSV or HTML table (header first); None if it is none of them."""
    import csv
    import io
    import re

    text = text.strip()
    if text.lower().startswith("<table"):
        rows = re.findall(r"<tr>(.*?)</tr>", text, flags=re.S | re.I)
        from html import unescape

        return [
            [unescape(c).strip() for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", r, flags=re.S | re.I)]
            for r in rows
        ]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].startswith("|"):
        out = []
        for ln in lines:
            cells = [c.strip() for c in ln.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue
            out.append(cells)
        return out
    if lines:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO("\n".join(lines)))]
    return None


def compare_tables(expected: list[list[str]], got: list[list[str]] | None) -> str | None:
    """None when ``got`` has the same cells as ``expected`` (numbers compared as numbers)."""
    if got is None:
        return "the answer is not a table"
    if len(got) != len(expected):
        return f"expected {len(expected)} rows, got {len(got)}"
    for r, (erow, grow) in enumerate(zip(expected, got, strict=True)):
        if len(erow) != len(grow):
            return f"row {r}: expected {len(erow)} cells, got {len(grow)}"
        for c, (e, g) in enumerate(zip(erow, grow, strict=True)):
            if match_answer(e, g) is not None:
                return f"row {r} cell {c}: expected {e!r}, got {g!r}"
    return None
