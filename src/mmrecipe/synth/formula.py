"""Formulas of real families, rendered with matplotlib mathtext: image -> LaTeX.

Families are the ones a document or textbook holds (quadratics with their factors, linear
functions, Newton, kinematics, energy, gravitation, mean/variance/normal density, Bayes,
derivatives, integrals, series); numeric instances are computed, so every rendered equation is
true. They use only constructs mathtext renders, so the LaTeX that made the image is its exact
transcription. :meth:`FormulaGenerator.verify` compares an answer with it up to
whitespace and ``\\left``/``\\right`` sizing.
"""

from __future__ import annotations

import random
import re
from typing import Any

from PIL import Image, ImageFilter

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.phrasing import compose
from mmrecipe.synth.render import figure_image, mpl_figure, np_rng

FONTSETS = ("cm", "stix", "stixsans", "dejavusans", "dejavuserif")
_OPENERS = (
    "",
    "",
    "Look at the image.",
    "The image shows a formula.",
    "Here is a rendered equation.",
)
_ASKS = (
    "Write the LaTeX code of the {what} in the image.",
    "Transcribe this {what} into LaTeX.",
    "Convert the {what} shown to LaTeX.",
    "What is the LaTeX source of the {what}?",
    "Give the LaTeX markup that reproduces the {what}.",
    "Recover the {what} as LaTeX.",
)
_WHATS = ("formula", "equation", "expression", "mathematical expression")
_FORMATS = ("", "", "Answer with the LaTeX only.", "Do not wrap it in dollar signs.")


# ---------------------------------------------------------------- formula families
def _signed(v: int, first: bool = False) -> str:
    """``+ 3`` / ``- 3`` between terms (``3`` / ``-3`` in front)."""
    if first:
        return str(v)
    return f"+ {v}" if v >= 0 else f"- {-v}"


def _term(coef: int, var: str, first: bool = False) -> str:
    """A linear term with its sign, dropping a coefficient of 1 (``- x``, ``+ 3x``)."""
    mag = "" if abs(coef) == 1 else str(abs(coef))
    if first:
        return f"{'-' if coef < 0 else ''}{mag}{var}"
    return f"{'-' if coef < 0 else '+'} {mag}{var}"


def _quadratic_roots(rng: random.Random) -> str:
    """A monic quadratic with integer roots, factored and expanded: both sides agree."""
    x = rng.choice(["x", "t", "z", "y"])
    r1, r2 = rng.randint(-9, 9), rng.randint(-9, 9)
    b, c = -(r1 + r2), r1 * r2
    lhs = f"{x}^{{2}}"
    if b:
        lhs += f" {_term(b, x)}"
    if c:
        lhs += f" {_signed(c)}"
    factors = "".join(f"({x} {_signed(-r)})" if r else x for r in (r1, r2))
    return f"{lhs} = {factors}"


def _linear(rng: random.Random) -> str:
    m, b = rng.choice([-4, -3, -2, 2, 3, 4, 5]), rng.randint(-12, 12)
    y, x = rng.choice([("y", "x"), ("f(x)", "x"), ("v", "t")])
    return f"{y} = {_term(m, x, first=True)}" + (f" {_signed(b)}" if b else "")


def _kinematics_value(rng: random.Random) -> str:
    """s = v0 t + a t^2 / 2 with numbers, and its value."""
    v0, t, a = rng.randint(1, 20), rng.randint(1, 9), rng.choice([2, 4, 6, 8, 10])
    s = v0 * t + a * t * t // 2
    return rf"s = {v0} \cdot {t} + \frac{{1}}{{2}} \cdot {a} \cdot {t}^{{2}} = {s}"


def _fraction_sum(rng: random.Random) -> str:
    from fractions import Fraction

    a, b = rng.randint(1, 9), rng.randint(2, 12)
    c, d = rng.randint(1, 9), rng.randint(2, 12)
    total = Fraction(a, b) + Fraction(c, d)
    right = (
        str(total.numerator)
        if total.denominator == 1
        else rf"\frac{{{total.numerator}}}{{{total.denominator}}}"
    )
    return rf"\frac{{{a}}}{{{b}}} + \frac{{{c}}}{{{d}}} = {right}"


def _power_rule(rng: random.Random) -> str:
    n = rng.randint(2, 9)
    k = rng.randint(2, 7)
    x = rng.choice(["x", "t", "u"])
    return rf"\frac{{d}}{{d{x}}} {k}{x}^{{{n}}} = {k * n}{x}^{{{n - 1}}}"


def _definite_integral(rng: random.Random) -> str:
    n = rng.randint(1, 4)
    b = rng.randint(1, 4)
    value = b ** (n + 1)
    return rf"\int_{{0}}^{{{b}}} {n + 1}x^{{{n}}} \, dx = {value}"


_FAMILIES_BY_LEVEL: dict[int, list[tuple[str, Any]]] = {
    1: [
        ("algebra/quadratic", _quadratic_roots),
        ("algebra/linear", _linear),
        ("geometry/pythagoras", lambda rng: "a^{2} + b^{2} = c^{2}"),
        ("geometry/circle_area", lambda rng: r"A = \pi r^{2}"),
        ("physics/newton", lambda rng: "F = m a"),
        ("physics/mass_energy", lambda rng: "E = m c^{2}"),
        ("physics/velocity", lambda rng: "v = v_{0} + a t"),
        ("arithmetic/fractions", _fraction_sum),
    ],
    2: [
        ("algebra/quadratic_formula", lambda rng: r"x = \frac{-b \pm \sqrt{b^{2} - 4ac}}{2a}"),
        ("physics/kinematics", _kinematics_value),
        ("physics/kinetic_energy", lambda rng: r"E_{k} = \frac{1}{2} m v^{2}"),
        ("physics/gravitation", lambda rng: r"F = G \frac{m_{1} m_{2}}{r^{2}}"),
        ("physics/ohm", lambda rng: r"P = I^{2} R = \frac{V^{2}}{R}"),
        ("statistics/mean", lambda rng: r"\bar{x} = \frac{1}{n} \sum_{i=1}^{n} x_{i}"),
        ("calculus/power_rule", _power_rule),
        ("trigonometry/identity", lambda rng: r"\sin^{2} \theta + \cos^{2} \theta = 1"),
    ],
    3: [
        (
            "statistics/variance",
            lambda rng: r"\sigma^{2} = \frac{1}{n} \sum_{i=1}^{n} (x_{i} - \mu)^{2}",
        ),
        (
            "statistics/normal_pdf",
            lambda rng: (
                r"f(x) = \frac{1}{\sigma \sqrt{2 \pi}} e^{-\frac{(x - \mu)^{2}}{2 \sigma^{2}}}"
            ),
        ),
        ("statistics/bayes", lambda rng: r"P(A | B) = \frac{P(B | A) P(A)}{P(B)}"),
        (
            "calculus/gaussian_integral",
            lambda rng: r"\int_{-\infty}^{\infty} e^{-x^{2}} \, dx = \sqrt{\pi}",
        ),
        (
            "calculus/exponential_series",
            lambda rng: r"e^{x} = \sum_{n=0}^{\infty} \frac{x^{n}}{n!}",
        ),
        ("calculus/definite_integral", _definite_integral),
        (
            "calculus/derivative",
            lambda rng: r"f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}",
        ),
        ("physics/pendulum", lambda rng: r"T = 2 \pi \sqrt{\frac{L}{g}}"),
    ],
}


def make_formula(rng: random.Random, difficulty: int) -> tuple[str, str]:
    """A formula from a real family (algebra, physics, statistics, calculus) and its family.

    Level ``d`` draws from the families of levels 1..d, weighted towards ``d``; numeric
    instances (a quadratic's factors, a kinematics value, a fraction sum) are computed, so the
    rendered equation is true.
    """
    level = max(1, min(3, difficulty))
    pool = [fam for lv in range(1, level + 1) for fam in _FAMILIES_BY_LEVEL[lv] for _ in range(lv)]
    family, build = rng.choice(pool)
    return build(rng), family


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
    """Rendered formulas with their LaTeX. Difficulty 1: one-line laws and equations; 2: fractions,
    roots and sums; 3: nested statistics and calculus, plus noise and blur."""

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        latex, family = make_formula(rng, difficulty)
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
            ground_truth={"latex": latex, "style": style, "family": family},
            question=compose(rng, _OPENERS, _ASKS, _FORMATS, what=rng.choice(_WHATS)),
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
