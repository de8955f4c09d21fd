"""Function families for plots: random parameters, the exact sympy pieces, and their labels.

A function is stored in ground truth as its family and small exact parameters (integers or
``[num, den]`` fractions), never as an expression string: verification rebuilds the sympy
expression from those numbers, so a tampered record cannot smuggle code into ``sympify``.
Every function is a list of pieces ``(expression, lo, hi)`` over the plotted window, one piece
except for piecewise functions, so extrema, zeros and integrals are computed piece by piece.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy as sp

from mmrecipe.synth.stem.numbers import frac, pair

X = sp.Symbol("x", real=True)
Piece = tuple[sp.Expr, sp.Expr, sp.Expr]  # expression, lo, hi

#: families by the difficulty that introduces them
FAMILIES_BY_LEVEL = {
    1: ("linear", "quadratic"),
    2: ("polynomial", "exponential", "logarithmic"),
    3: ("trigonometric", "piecewise"),
}


def families_up_to(level: int) -> list[str]:
    return [f for lv in sorted(FAMILIES_BY_LEVEL) if lv <= level for f in FAMILIES_BY_LEVEL[lv]]


def _q(v: Any) -> sp.Rational:
    f = frac(v)
    return sp.Rational(f.numerator, f.denominator)


def draw_params(family: str, rng: random.Random) -> dict[str, Any]:
    """Small exact parameters, chosen so the plotted window shows the interesting part."""
    if family == "linear":
        m = Fraction(rng.choice([-3, -2, -1, 1, 2, 3]), rng.choice([1, 1, 2]))
        return {"m": pair(m), "b": rng.randint(-4, 4), "lo": -6, "hi": 6}
    if family == "quadratic":
        a = Fraction(rng.choice([-2, -1, 1, 2]), rng.choice([1, 1, 2]))
        h = rng.randint(-3, 3)
        return {"a": pair(a), "h": h, "k": rng.randint(-5, 5), "lo": h - 4, "hi": h + 4}
    if family == "polynomial":
        roots = sorted(rng.sample(range(-4, 5), 3))
        a = Fraction(rng.choice([-1, 1]), rng.choice([2, 4]))
        return {"a": pair(a), "roots": roots, "lo": -5, "hi": 5}
    if family == "exponential":
        base = rng.choice([[2, 1], [3, 1], [1, 2]])
        return {
            "a": rng.choice([1, 2, -1]),
            "base": base,
            "c": rng.randint(-4, 3),
            "lo": -4,
            "hi": 4,
        }
    if family == "logarithmic":
        h = rng.randint(-3, 1)
        return {
            "a": rng.choice([1, 2, -1]),
            "base": rng.choice([2, 3]),
            "h": h,
            "k": rng.randint(-2, 2),
            "lo": h,
            "hi": h + 9,
        }
    if family == "trigonometric":
        return {
            "wave": rng.choice(["sin", "cos"]),
            "amp": rng.choice([1, 2, 3]),
            "freq": pair(Fraction(rng.choice([1, 1, 2, 1]), rng.choice([1, 1, 1, 2]))),
            "shift": rng.randint(-2, 2),
        }
    if family == "piecewise":
        join = rng.randint(-2, 2)
        m = rng.choice([-2, -1, 1, 2])
        at = rng.randint(-3, 3)  # value at the join, shared by both pieces (continuous)
        return {"join": join, "m": m, "at": at, "a": rng.choice([-1, 1]), "lo": -6, "hi": 6}
    raise ValueError(f"unknown function family {family!r}")


def window(family: str, p: dict[str, Any]) -> tuple[sp.Expr, sp.Expr]:
    """The plotted x range (what "the shown range" means in a question)."""
    if family == "trigonometric":
        return -2 * sp.pi, 2 * sp.pi
    return sp.Integer(p["lo"]), sp.Integer(p["hi"])


def pieces(family: str, p: dict[str, Any]) -> list[Piece]:
    lo, hi = window(family, p)
    x = X
    if family == "linear":
        return [(_q(p["m"]) * x + int(p["b"]), lo, hi)]
    if family == "quadratic":
        return [(_q(p["a"]) * (x - int(p["h"])) ** 2 + int(p["k"]), lo, hi)]
    if family == "polynomial":
        r1, r2, r3 = (int(r) for r in p["roots"])
        return [(_q(p["a"]) * (x - r1) * (x - r2) * (x - r3), lo, hi)]
    if family == "exponential":
        return [(int(p["a"]) * _q(p["base"]) ** x + int(p["c"]), lo, hi)]
    if family == "logarithmic":
        expr = int(p["a"]) * sp.log(x - int(p["h"]), int(p["base"])) + int(p["k"])
        return [(expr, lo, hi)]  # lo is the asymptote: open there
    if family == "trigonometric":
        wave = {"sin": sp.sin, "cos": sp.cos}[p["wave"]]
        return [(int(p["amp"]) * wave(_q(p["freq"]) * x) + int(p["shift"]), lo, hi)]
    if family == "piecewise":
        j, at = int(p["join"]), int(p["at"])
        left = int(p["m"]) * (x - j) + at
        right = int(p["a"]) * (x - j) ** 2 + at
        return [(left, lo, sp.Integer(j)), (right, sp.Integer(j), hi)]
    raise ValueError(f"unknown function family {family!r}")


def latex(family: str, p: dict[str, Any]) -> str:
    """The function as mathtext (drawn on the plot or written in the question)."""
    parts = pieces(family, p)
    if family == "logarithmic":
        a, h, k, b = int(p["a"]), int(p["h"]), int(p["k"]), int(p["base"])
        inner = sp.latex(X - h)
        coef = {1: "", -1: "-"}.get(a, str(a))
        tail = "" if k == 0 else f" {'+' if k > 0 else '-'} {abs(k)}"
        return f"f(x) = {coef}\\log_{{{b}}}({inner}){tail}"
    if family == "exponential":
        a, c, base = int(p["a"]), int(p["c"]), _q(p["base"])
        coef = {1: "", -1: "-"}.get(a, f"{a} \\cdot ")
        b = sp.latex(base) if base.q == 1 else f"\\left({sp.latex(base)}\\right)"
        tail = "" if c == 0 else f" {'+' if c > 0 else '-'} {abs(c)}"
        return f"f(x) = {coef}{b}^{{x}}{tail}"
    if family == "piecewise":
        j = int(p["join"])
        (left, _, _), (right, _, _) = parts
        return (
            f"f(x) = {sp.latex(sp.expand(left))} \\ (x < {j}),\\ "
            f"{sp.latex(sp.expand(right))} \\ (x \\geq {j})"
        )
    return f"f(x) = {sp.latex(sp.expand(parts[0][0]))}"


def plain(family: str, p: dict[str, Any]) -> str:
    """The function as plain text for questions and captions (``x^2``, ``log_2(x + 3)``)."""

    def text(expr: sp.Expr) -> str:
        return str(sp.expand(expr)).replace("**", "^")

    if family == "logarithmic":
        a, h, k, b = int(p["a"]), int(p["h"]), int(p["k"]), int(p["base"])
        coef = {1: "", -1: "-"}.get(a, f"{a}*")
        tail = "" if k == 0 else f" {'+' if k > 0 else '-'} {abs(k)}"
        return f"f(x) = {coef}log_{b}({text(X - h)}){tail}"
    parts = pieces(family, p)
    if family == "piecewise":
        j = int(p["join"])
        return f"f(x) = {text(parts[0][0])} for x < {j} and {text(parts[1][0])} for x ≥ {j}"
    return f"f(x) = {text(parts[0][0])}"


def evaluate(parts: list[Piece], at: sp.Expr) -> sp.Expr:
    for k, (expr, lo, hi) in enumerate(parts):
        last = k == len(parts) - 1
        if lo <= at and (at < hi or (last and at <= hi)):
            return sp.nsimplify(sp.simplify(expr.subs(X, at)))
    raise ValueError(f"x = {at} is outside the plotted range")


def _each(parts: list[Piece], fn: Callable[[sp.Expr, sp.Interval], Any]) -> list[Any]:
    out = []
    for k, (expr, lo, hi) in enumerate(parts):
        out.append(fn(expr, sp.Interval(lo, hi, left_open=k > 0)))
    return out


def extreme(parts: list[Piece], kind: str, open_low: bool = False) -> sp.Expr:
    """Maximum or minimum over the window (``open_low``: the window starts at an asymptote)."""
    from sympy.calculus.util import maximum, minimum

    pick = maximum if kind == "max" else minimum
    values = []
    for k, (expr, lo, hi) in enumerate(parts):
        interval = sp.Interval(lo, hi, left_open=k > 0 or open_low)
        values.append(pick(expr, X, interval))
    return sp.Max(*values) if kind == "max" else sp.Min(*values)


def zeros(
    parts: list[Piece], other: sp.Expr | None = None, open_low: bool = False
) -> list[sp.Expr]:
    """Distinct real solutions of f(x) = 0 (or f(x) = other(x)) in the window; ValueError when
    sympy cannot list them exactly (the question is then not asked)."""
    found: list[sp.Expr] = []
    for k, (expr, lo, hi) in enumerate(parts):
        interval = sp.Interval(lo, hi, left_open=k > 0 or open_low)
        target = expr if other is None else expr - other
        sol = sp.solveset(sp.Eq(target, 0), X, interval)
        if not isinstance(sol, sp.FiniteSet):
            raise ValueError(f"no finite solution set for {target}: {sol}")
        found.extend(sol)
    return sorted(set(found), key=lambda v: float(v))


def monotone(parts: list[Piece], lo: int, hi: int) -> str | None:
    """'increasing' / 'decreasing' when f is strictly so on [lo, hi], else None."""
    from sympy.calculus.singularities import is_strictly_decreasing, is_strictly_increasing

    interval = sp.Interval(lo, hi)
    up = down = True
    for expr, a, b in parts:
        overlap = interval.intersect(sp.Interval(a, b))
        if overlap.is_empty or overlap.measure == 0:
            continue
        up = up and bool(is_strictly_increasing(expr, overlap, X))
        down = down and bool(is_strictly_decreasing(expr, overlap, X))
    return "increasing" if up else "decreasing" if down else None


def integral(parts: list[Piece], lo: int, hi: int) -> sp.Expr:
    total = sp.Integer(0)
    for expr, a, b in parts:
        s, e = sp.Max(a, lo), sp.Min(b, hi)
        if bool(s < e):
            total += sp.integrate(expr, (X, s, e))
    return sp.simplify(total)
