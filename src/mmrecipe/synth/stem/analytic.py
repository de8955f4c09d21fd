"""Analytic geometry on a coordinate grid: points, segments, triangles, circles and conics.

Points have integer coordinates on a drawn grid (read off the grid, or labelled); circles and
conics are named by their equation in the question. Answers (distances, midpoints, slopes,
areas, foci, vertices) are computed exactly with fractions and square roots, then written as
integers or to two decimals.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.phrasing import compose
from mmrecipe.synth.render import figure_image, mpl_figure, parse_number, pin_fonts
from mmrecipe.synth.stem.numbers import check_number, written
from mmrecipe.synth.stem.plotting import draw_style, style_axes

TASKS_BY_SHAPE = {
    "segment": ("distance", "midpoint", "slope", "y_intercept"),
    "triangle": ("area", "perimeter"),
    "circle": ("area", "circumference", "point_position"),
    "ellipse": ("focal_distance", "area"),
    "hyperbola": ("focal_distance", "asymptote_slope"),
    "parabola": ("vertex", "focus_distance"),
}
SHAPES_BY_LEVEL = {
    1: ("segment", "circle"),
    2: ("triangle", "parabola"),
    3: ("ellipse", "hyperbola"),
}
_POINT_TASKS = ("midpoint", "vertex")
_ASK = ("", "Look at the coordinate grid.", "Use the figure.")


def _pts(gt: dict[str, Any]) -> list[tuple[int, int]]:
    return [(int(x), int(y)) for x, y in gt["points"]]


def _fmt(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{float(v):g}"


def derive(gt: dict[str, Any]) -> tuple[Any, str]:
    """The exact value (a number, an (x, y) pair or a word) and its derivation."""
    shape, task = gt["shape"], gt["question"]["task"]
    p = gt.get("params", {})
    if shape == "segment":
        (x1, y1), (x2, y2) = _pts(gt)
        dx, dy = x2 - x1, y2 - y1
        if task == "distance":
            d = math.sqrt(dx * dx + dy * dy)
            return d, f"AB = √(Δx² + Δy²) = √({dx}² + {dy}²) = √{dx * dx + dy * dy}"
        if task == "midpoint":
            m = (Fraction(x1 + x2, 2), Fraction(y1 + y2, 2))
            return m, f"M = (({x1} + {x2})/2, ({y1} + {y2})/2) = ({_fmt(m[0])}, {_fmt(m[1])})"
        slope = Fraction(dy, dx)
        if task == "slope":
            return slope, f"slope = Δy/Δx = {dy}/{dx} = {slope}"
        b = y1 - slope * x1
        why = f"slope m = Δy/Δx = {slope}; b = y₁ − m·x₁ = {y1} − ({slope})·({x1})"
        why += f" = {b}"
        return b, why
    if shape == "triangle":
        (ax, ay), (bx, by), (cx, cy) = _pts(gt)
        if task == "area":
            twice = abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay))
            return Fraction(twice, 2), f"Shoelace formula: area = |{twice}|/2"
        sides = [
            math.dist(a, b)
            for a, b in (((ax, ay), (bx, by)), ((bx, by), (cx, cy)), ((cx, cy), (ax, ay)))
        ]
        return sum(sides), "perimeter = AB + BC + CA = " + " + ".join(f"{s:.4f}" for s in sides)
    if shape == "circle":
        h, k, r = int(p["h"]), int(p["k"]), int(p["r"])
        if task == "area":
            return math.pi * r * r, f"area = πr² = π·{r}²"
        if task == "circumference":
            return 2 * math.pi * r, f"circumference = 2πr = 2π·{r}"
        px, py = (int(v) for v in gt["question"]["point"])
        d2 = (px - h) ** 2 + (py - k) ** 2
        word = "inside" if d2 < r * r else "on" if d2 == r * r else "outside"
        return word, f"(x − h)² + (y − k)² = {d2} compared with r² = {r * r}: {word}"
    if shape in ("ellipse", "hyperbola"):
        a, b = int(p["a"]), int(p["b"])
        if task == "area":
            return math.pi * a * b, f"area = πab = π·{a}·{b}"
        if task == "asymptote_slope":
            return Fraction(b, a), f"asymptotes y − k = ±(b/a)(x − h), b/a = {b}/{a}"
        c2 = abs(a * a - b * b) if shape == "ellipse" else a * a + b * b
        return 2 * math.sqrt(c2), f"c² = {c2}, distance between the foci = 2c = 2√{c2}"
    if shape == "parabola":
        a, h, k = Fraction(int(p["a"][0]), int(p["a"][1])), int(p["h"]), int(p["k"])
        if task == "vertex":
            return (Fraction(h), Fraction(k)), f"y = a(x − h)² + k has its vertex at ({h}, {k})"
        f = 1 / (4 * abs(a))
        return f, f"focal length = 1/(4|a|) = 1/(4·{abs(a)})"
    raise ValueError(f"unknown analytic shape {shape!r}")


def answer_of(gt: dict[str, Any]) -> str:
    value, _ = derive(gt)
    if isinstance(value, tuple):
        return f"({_fmt(value[0])}, {_fmt(value[1])})"
    if isinstance(value, str):
        return value
    return written(value)[0]


def equation(gt: dict[str, Any]) -> str:
    shape, p = gt["shape"], gt.get("params", {})

    def shifted(var: str, c: int) -> str:
        return var if c == 0 else f"({var} {'-' if c > 0 else '+'} {abs(c)})"

    if shape == "circle":
        return f"{shifted('x', p['h'])}² + {shifted('y', p['k'])}² = {int(p['r']) ** 2}"
    if shape in ("ellipse", "hyperbola"):
        sign = "+" if shape == "ellipse" else "-"
        x_part = f"{shifted('x', p['h'])}²/{int(p['a']) ** 2}"
        return f"{x_part} {sign} {shifted('y', p['k'])}²/{int(p['b']) ** 2} = 1"
    if shape == "parabola":
        a = Fraction(int(p["a"][0]), int(p["a"][1]))
        return f"y = {_fmt(a)}{shifted('x', p['h'])}² {'+' if p['k'] >= 0 else '-'} {abs(p['k'])}"
    return ""


@register_generator("analytic_geometry")
class AnalyticGeometryGenerator(Generator):
    """Shapes on a coordinate grid; difficulty 1-3 adds triangles, parabolas, then conics."""

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        level = max(1, min(difficulty, 3))
        shape = rng.choice([s for lv in range(1, level + 1) for s in SHAPES_BY_LEVEL[lv]])
        gt: dict[str, Any] = {"shape": shape, "points": [], "params": {}}
        if shape == "segment":
            while True:
                a, b = (
                    (rng.randint(-6, 6), rng.randint(-5, 5)),
                    (rng.randint(-6, 6), rng.randint(-5, 5)),
                )
                if a[0] != b[0] and a[1] != b[1]:
                    break
            gt["points"] = [list(a), list(b)]
        elif shape == "triangle":
            while True:
                pts = [(rng.randint(-6, 6), rng.randint(-5, 5)) for _ in range(3)]
                (ax, ay), (bx, by), (cx, cy) = pts
                if abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) >= 6:
                    break
            gt["points"] = [list(p) for p in pts]
        elif shape == "circle":
            gt["params"] = {
                "h": rng.randint(-3, 3),
                "k": rng.randint(-3, 3),
                "r": rng.randint(2, 5),
            }
        elif shape in ("ellipse", "hyperbola"):
            a, b = rng.sample(range(2, 6), 2)
            gt["params"] = {"h": rng.randint(-2, 2), "k": rng.randint(-2, 2), "a": a, "b": b}
        else:
            a = Fraction(rng.choice([-1, 1]), rng.choice([1, 2, 4]))
            gt["params"] = {
                "a": [a.numerator, a.denominator],
                "h": rng.randint(-3, 3),
                "k": rng.randint(-4, 4),
            }
        task = rng.choice(TASKS_BY_SHAPE[shape])
        gt["question"] = {"task": task}
        if task == "point_position":
            p = gt["params"]
            gt["question"]["point"] = [
                int(p["h"]) + rng.randint(-5, 5),
                int(p["k"]) + rng.randint(-5, 5),
            ]
        gt["labels"] = rng.random() < 0.5
        value, why = derive(gt)
        answer = answer_of(gt)
        question = self._text(rng, gt, value)
        image = render(gt, draw_style(rng))
        return SynthItem(
            images=[image],
            task=f"analytic_geometry/{shape}/{task}",
            ground_truth=gt,
            question=question,
            answer=answer,
            rationale=why + ".",
            extra={"caption": caption(gt)},
        )

    def _text(self, rng: random.Random, gt: dict[str, Any], value: Any) -> str:
        shape, task = gt["shape"], gt["question"]["task"]
        clause = written(value)[1] if isinstance(value, float | Fraction) else ""
        ask = {
            "distance": "What is the length of segment AB?",
            "midpoint": "What are the coordinates of the midpoint of AB? Answer as (x, y).",
            "slope": "What is the slope of line AB?",
            "y_intercept": "Line AB crosses the y-axis at which y-value?",
            "area": f"What is the area of the {'triangle ABC' if shape == 'triangle' else shape}?",
            "perimeter": "What is the perimeter of triangle ABC?",
            "circumference": "What is the circumference of the circle?",
            "focal_distance": f"What is the distance between the two foci of the {shape}?",
            "asymptote_slope": "What is the positive slope of the hyperbola's asymptotes?",
            "vertex": "What are the coordinates of the parabola's vertex? Answer as (x, y).",
            "focus_distance": "What is the distance from the parabola's vertex to its focus?",
        }.get(task)
        if task == "point_position":
            px, py = gt["question"]["point"]
            ask = (
                f"Is the point P({px}, {py}) inside, on, or outside the circle? "
                "Answer 'inside', 'on' or 'outside'."
            )
        given = f"The figure shows the {shape} {equation(gt)}. " if equation(gt) else ""
        return " ".join(s for s in (compose(rng, _ASK), f"{given}{ask}{clause}") if s)

    def caption(self, ground_truth: dict[str, Any]) -> str:
        return caption(ground_truth)

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        value, _ = derive(ground_truth)
        if isinstance(value, tuple):
            got = [parse_number(v) for v in answer.strip().strip("()").split(",")]
            want = [float(v) for v in value]
            if len(got) != 2 or any(
                g is None or abs(g - w) > 1e-9 for g, w in zip(got, want, strict=True)
            ):
                return f"expected ({_fmt(value[0])}, {_fmt(value[1])}), got {answer!r}"
            return None
        if isinstance(value, str):
            return (
                None
                if answer.strip().strip(".").lower() == value
                else f"expected {value!r}, got {answer!r}"
            )
        return check_number(value, answer)


def caption(gt: dict[str, Any]) -> str:
    shape = gt["shape"]
    names = "ABC"
    pts = ", ".join(f"{names[i]}({x}, {y})" for i, (x, y) in enumerate(_pts(gt)))
    if shape == "segment":
        return f"A coordinate grid with segment AB from {pts.replace(', B', ' to B')}."
    if shape == "triangle":
        return f"A coordinate grid with triangle ABC with vertices {pts}."
    text = f"A coordinate grid with the {shape} {equation(gt)}."
    if gt["question"].get("point"):
        px, py = gt["question"]["point"]
        text += f" The point P({px}, {py}) is marked."
    return text


def render(gt: dict[str, Any], style: dict[str, Any]) -> Any:
    import numpy as np

    shape, p = gt["shape"], gt.get("params", {})
    with mpl_figure(style["height_in"] + 0.6, style["height_in"], style["dpi"]) as fig:
        fig.set_facecolor(style["background"])
        ax = fig.add_subplot(1, 1, 1)
        ink, lw = style["ink"], style["line_width"]
        xs_all: list[float] = []
        ys_all: list[float] = []
        pts = _pts(gt)
        if pts:
            closed = [*pts, pts[0]] if shape == "triangle" else pts
            ax.plot([q[0] for q in closed], [q[1] for q in closed], color=ink, linewidth=lw)
            for name, (x, y) in zip("ABC", pts, strict=False):
                ax.plot([x], [y], "o", color=ink, markersize=5)
                text = f"{name}({x}, {y})" if gt["labels"] else name
                ax.annotate(
                    text,
                    (x, y),
                    xytext=(5, 5),
                    textcoords="offset points",
                    fontsize=style["font_size"],
                )
            xs_all += [q[0] for q in pts]
            ys_all += [q[1] for q in pts]
        t = np.linspace(0, 2 * np.pi, 400)
        if shape == "circle":
            h, k, r = p["h"], p["k"], p["r"]
            xs, ys = h + r * np.cos(t), k + r * np.sin(t)
        elif shape == "ellipse":
            xs, ys = p["h"] + p["a"] * np.cos(t), p["k"] + p["b"] * np.sin(t)
        elif shape == "hyperbola":
            s = np.linspace(-1.6, 1.6, 200)
            for sign in (1, -1):
                ax.plot(
                    p["h"] + sign * p["a"] * np.cosh(s),
                    p["k"] + p["b"] * np.sinh(s),
                    color=ink,
                    linewidth=lw,
                )
            xs, ys = p["h"] + p["a"] * np.cosh(s), p["k"] + p["b"] * np.sinh(s)
            xs = np.concatenate([xs, 2 * p["h"] - xs])
            ys = np.concatenate([ys, ys])
        elif shape == "parabola":
            a = p["a"][0] / p["a"][1]
            xs = np.linspace(p["h"] - 5, p["h"] + 5, 200)
            ys = a * (xs - p["h"]) ** 2 + p["k"]
            keep = np.abs(ys - p["k"]) <= 8
            xs, ys = xs[keep], ys[keep]
        if shape in ("circle", "ellipse", "parabola"):
            ax.plot(xs, ys, color=ink, linewidth=lw)
        if shape not in ("segment", "triangle"):
            xs_all += list(xs)
            ys_all += list(ys)
            ax.plot([p["h"]], [p["k"]], "o", color=ink, markersize=3)
        if gt["question"].get("point"):
            px, py = gt["question"]["point"]
            ax.plot([px], [py], "s", color=style["second_ink"], markersize=5)
            ax.annotate(
                f"P({px}, {py})" if gt["labels"] else "P",
                (px, py),
                xytext=(5, -12),
                textcoords="offset points",
                fontsize=style["font_size"],
            )
            xs_all.append(px)
            ys_all.append(py)
        lo_x, hi_x = math.floor(min([*xs_all, 0])) - 1, math.ceil(max([*xs_all, 0])) + 1
        lo_y, hi_y = math.floor(min([*ys_all, 0])) - 1, math.ceil(max([*ys_all, 0])) + 1
        ax.set_xlim(lo_x, hi_x)
        ax.set_ylim(lo_y, hi_y)
        ax.set_xticks(range(lo_x, hi_x + 1))
        ax.set_yticks(range(lo_y, hi_y + 1))
        ax.set_aspect("equal")
        style = {**style, "grid": "major"}  # a grid is what makes coordinates readable
        style_axes(ax, style)
        pin_fonts(fig, style["font"])
        fig.tight_layout()
        return figure_image(fig)
