"""Formulas from a small LaTeX grammar, rendered with matplotlib mathtext: image -> LaTeX.

The grammar only emits constructs mathtext renders (fractions, powers, sub/superscripts, roots,
sums, integrals, limits, functions, Greek letters, delimiters), so the LaTeX that made the image
is its exact transcription. :meth:`FormulaGenerator.verify` compares an answer with it up to
whitespace and ``\\left``/``\\right`` sizing.
"""

from __future__ import annotations

import random
import re
from typing import Any

from PIL import Image, ImageFilter

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.render import figure_image, mpl_figure, np_rng

FONTSETS = ("cm", "stix", "stixsans", "dejavusans", "dejavuserif")
_VARS = list("xyzabcnkt")
_GREEK = [r"\alpha", r"\beta", r"\gamma", r"\theta", r"\lambda", r"\mu", r"\pi", r"\sigma"]
_FUNCS = [r"\sin", r"\cos", r"\tan", r"\log", r"\ln", r"\exp"]
_REL = ["=", "=", "=", r"\leq", r"\geq", "<", ">", r"\neq"]
_PROMPTS = (
    "Write the LaTeX code of the formula in the image.",
    "Transcribe this formula into LaTeX.",
    "Convert the mathematical expression shown to LaTeX.",
)


def _atom(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return rng.choice(_VARS)
    if r < 0.7:
        return str(rng.randint(1, 20))
    if r < 0.85:
        return rng.choice(_GREEK)
    return f"{rng.choice(_VARS)}_{{{rng.choice(['i', 'j', 'n', '0', '1', '2'])}}}"


def _expr(rng: random.Random, depth: int) -> str:
    if depth <= 0:
        return _atom(rng)
    kind = rng.choice(
        ["binop", "binop", "frac", "power", "sqrt", "func", "paren", "sum", "int", "lim"]
    )
    sub = depth - 1
    if kind == "binop":
        op = rng.choice(["+", "-", r"\cdot", r"\times", "+"])
        return f"{_expr(rng, sub)} {op} {_expr(rng, rng.randint(0, sub))}"
    if kind == "frac":
        return rf"\frac{{{_expr(rng, sub)}}}{{{_expr(rng, rng.randint(0, sub))}}}"
    if kind == "power":
        return f"{rng.choice(_VARS)}^{{{_expr(rng, min(sub, 1))}}}"
    if kind == "sqrt":
        if rng.random() < 0.3:
            return rf"\sqrt[{rng.randint(3, 5)}]{{{_expr(rng, sub)}}}"
        return rf"\sqrt{{{_expr(rng, sub)}}}"
    if kind == "func":
        return rf"{rng.choice(_FUNCS)}\left({_expr(rng, sub)}\right)"
    if kind == "paren":
        left, right = rng.choice([("(", ")"), ("[", "]")])
        return rf"\left{left}{_expr(rng, sub)}\right{right}^{{{rng.randint(2, 4)}}}"
    if kind == "sum":
        return rf"\sum_{{i=1}}^{{{rng.choice(['n', 'N', '10'])}}} {_expr(rng, sub)}"
    if kind == "int":
        var = rng.choice(["x", "t"])
        lo, hi = rng.choice([("0", "1"), ("a", "b"), ("0", r"\infty"), (r"-\pi", r"\pi")])
        return rf"\int_{{{lo}}}^{{{hi}}} {_expr(rng, sub)} \, d{var}"
    var = rng.choice(["x", "n"])
    to = rng.choice(["0", r"\infty"])
    return rf"\lim_{{{var} \to {to}}} {_expr(rng, sub)}"


def make_formula(rng: random.Random, difficulty: int) -> str:
    """A LaTeX formula; difficulty sets the nesting depth and whether it is an equation."""
    depth = {1: 1, 2: 2, 3: 3}[difficulty]
    lhs = _expr(rng, depth)
    if rng.random() < 0.6:
        return f"{_expr(rng, max(0, depth - 1))} {rng.choice(_REL)} {lhs}"
    return lhs


def normalize_latex(text: str) -> str:
    """Whitespace-free LaTeX without ``$``, ``\\left``/``\\right``, spacing commands, and
    braces around one-character scripts."""
    text = text.strip().strip("$").strip()
    text = re.sub(r"^\\\[|\\\]$", "", text).strip()
    text = re.sub(r"\\(left|right)(?![a-zA-Z])", "", text)
    text = re.sub(r"\\[,;:! ]", "", text)
    text = re.sub(r"\s+", "", text)
    return re.sub(r"([_^])\{([A-Za-z0-9])\}", r"\1\2", text)  # x_{1} == x_1


@register_generator("formula")
class FormulaGenerator(Generator):
    """Rendered formulas with their LaTeX. Difficulty = expression depth (1-3); level 3 also
    adds noise and blur."""

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        latex = make_formula(rng, difficulty)
        style = {
            "fontset": rng.choice(FONTSETS),
            "font_size": rng.choice([16, 18, 20, 24]),
            "dpi": rng.choice([90, 100, 120]),
            "color": rng.choice(["#000000", "#000000", "#1a1a6e", "#3b1f0e", "#303030"]),
            "background": rng.choice(["#ffffff", "#ffffff", "#fdf9ee", "#f2f2f2"]),
            "pad": rng.randint(6, 24),
            "noise": difficulty == 3 and rng.random() < 0.5,
            "blur": round(rng.uniform(0.3, 0.8), 2) if difficulty == 3 else 0.0,
        }
        image = render_formula(latex, style, rng)
        return SynthItem(
            images=[image],
            task="latex",
            ground_truth={"latex": latex, "style": style},
            question=rng.choice(_PROMPTS),
            answer=latex,
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        want = normalize_latex(ground_truth["latex"])
        got = normalize_latex(answer)
        if want != got:
            return f"LaTeX differs: expected {ground_truth['latex']!r}, got {answer!r}"
        return None


def render_formula(latex: str, style: dict[str, Any], rng: random.Random) -> Image.Image:
    """Draw ``$latex$`` with mathtext, cropped to the formula plus padding."""
    dpi = style["dpi"]
    with mpl_figure(1.0, 1.0, dpi) as fig:
        import matplotlib

        matplotlib.rcParams["mathtext.fontset"] = style["fontset"]
        fig.set_facecolor(style["background"])
        text = fig.text(
            0, 0, f"${latex}$", fontsize=style["font_size"], color=style["color"], va="bottom"
        )
        extent = text.get_window_extent(renderer=fig.canvas.get_renderer())  # type: ignore[attr-defined]
        pad = style["pad"]
        w, h = extent.width + 2 * pad, extent.height + 2 * pad
        fig.set_size_inches(w / dpi, h / dpi)
        text.set_position((pad / w - extent.x0 / w, pad / h - extent.y0 / h))
        image = figure_image(fig)
    if style["blur"]:
        image = image.filter(ImageFilter.GaussianBlur(style["blur"]))
    if style["noise"]:
        import numpy as np

        arr = np.asarray(image).astype(np.int16)
        arr = arr + np_rng(rng).normal(0, 10, arr.shape).astype(np.int16)
        image = Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")
    return image
