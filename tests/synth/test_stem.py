"""STEM generators: every answer recomputed from the ground truth by an independent route
(numpy sampling for function plots, plain formulas and numpy fits elsewhere), seeded bytes,
and the verifier rejecting wrong answers."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mmrecipe.synth.base import Generator, get_generator, item_rng

KINDS = ("function_plot", "analytic_geometry", "solid_geometry", "stats_chart", "diagram_caption")
N = 45  # items per generator and test: 15 per level


def items(kind: str, n: int = N) -> list[tuple[dict[str, Any], str]]:
    gen = get_generator(kind)()
    out = []
    for i in range(n):
        item = gen.make(item_rng(5, kind, i), 1 + i % 3)
        out.append((json.loads(json.dumps(item.ground_truth)), item.answer))
    return out


def close(answer: str, value: float) -> bool:
    """``answer`` is ``value`` as written: an integer exactly, else to two decimals."""
    if "." not in answer:
        return abs(int(answer) - value) < 1e-6
    return abs(float(answer) - value) <= 0.005 + 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_seeded_bytes_and_verifier(
    kind: str, tmp_path: Path, determinism: Callable[..., None], verifier: Callable[..., set[str]]
) -> None:
    gen: Generator = get_generator(kind)()
    determinism(gen, tmp_path)
    tasks = verifier(gen, 24)
    assert len(tasks) >= 4, tasks


# ---------------------------------------------------------------- function plots, by numpy


def numeric(gt: dict[str, Any]) -> tuple[Callable[[np.ndarray], np.ndarray], float, float]:
    """f as numpy code written from the parameters alone (no sympy), and the window."""
    fam, p = gt["family"], gt["params"]

    def q(v: Any) -> float:
        return v[0] / v[1] if isinstance(v, list) else float(v)

    if fam == "linear":
        return (lambda x: q(p["m"]) * x + p["b"]), p["lo"], p["hi"]
    if fam == "quadratic":
        return (lambda x: q(p["a"]) * (x - p["h"]) ** 2 + p["k"]), p["lo"], p["hi"]
    if fam == "polynomial":
        r1, r2, r3 = p["roots"]
        return (lambda x: q(p["a"]) * (x - r1) * (x - r2) * (x - r3)), p["lo"], p["hi"]
    if fam == "exponential":
        return (lambda x: p["a"] * q(p["base"]) ** x + p["c"]), p["lo"], p["hi"]
    if fam == "logarithmic":
        f = lambda x: p["a"] * np.log(x - p["h"]) / math.log(p["base"]) + p["k"]  # noqa: E731
        return f, p["lo"] + 1e-9, p["hi"]
    if fam == "trigonometric":
        wave = np.sin if p["wave"] == "sin" else np.cos
        return (lambda x: p["amp"] * wave(q(p["freq"]) * x) + p["shift"]), -2 * math.pi, 2 * math.pi
    j, at = p["join"], p["at"]
    return (
        (lambda x: np.where(x < j, p["m"] * (x - j) + at, p["a"] * (x - j) ** 2 + at)),
        p["lo"],
        p["hi"],
    )


def roots_on_grid(values: np.ndarray) -> int:
    """Strict sign changes between grid points, plus zeros at grid points or touching ones
    (|f| tiny at a local minimum of |f|) that no strict sign change next to them counts."""
    sign = np.sign(values)
    strict = sign[:-1] * sign[1:] < 0
    a = np.abs(values)
    touch = (a[1:-1] < 1e-6) & (a[1:-1] <= a[:-2]) & (a[1:-1] <= a[2:])
    counted = strict[:-1] | strict[1:]  # a strict change on either side of point i
    return int(np.sum(strict)) + int(np.sum(touch & ~counted))


def test_function_plot_answers_match_numpy() -> None:
    seen = set()
    for gt, answer in items("function_plot", 60):
        f, lo, hi = numeric(gt)
        q, task = gt["question"], gt["question"]["task"]
        seen.add(task)
        xs = np.linspace(lo, hi, 400_001)
        if task in ("value", "y_intercept"):
            x0 = (
                0.0
                if task == "y_intercept"
                else (q["x0"][0] / q["x0"][1] if isinstance(q["x0"], list) else q["x0"])
            )
            x0 *= math.pi if q.get("x0_pi") else 1
            assert close(answer, float(f(np.array(x0)))), (gt, answer)
        elif task == "extremum":
            ys = f(xs)
            want = ys.max() if q["kind"] == "max" else ys.min()
            assert close(answer, float(want)), (gt, answer)
        elif task == "zero_count":
            assert int(answer) == roots_on_grid(f(xs)), (gt, answer)
        elif task == "intersections":
            g = q["m"] * xs + q["b"]
            assert int(answer) == roots_on_grid(f(xs) - g), (gt, answer)
        elif task == "monotonic":
            d = np.diff(f(np.linspace(q["lo"], q["hi"], 10_001)))
            assert answer == (
                "increasing" if np.all(d > 0) else "decreasing" if np.all(d < 0) else "?"
            )
        elif task == "area_sign":
            sub = np.linspace(q["lo"], q["hi"], 200_001)
            area = float(np.trapezoid(f(sub), sub))
            assert answer == ("positive" if area > 0 else "negative"), (gt, area)
    assert seen == {
        "value",
        "y_intercept",
        "zero_count",
        "extremum",
        "monotonic",
        "intersections",
        "area_sign",
    }


def test_function_plot_refuses_code_in_ground_truth() -> None:
    gen = get_generator("function_plot")()
    gt, answer = items("function_plot", 1)[0]
    gt["params"] = {k: "__import__('os')" for k in gt["params"]}
    with pytest.raises((ValueError, TypeError, KeyError)):
        gen.verify(gt, answer)


# ---------------------------------------------------------------- analytic, solid, statistics


def test_analytic_answers_from_coordinates() -> None:
    for gt, answer in items("analytic_geometry", 45):
        task, pts, p = gt["question"]["task"], gt["points"], gt["params"]
        if gt["shape"] == "segment":
            (x1, y1), (x2, y2) = pts
            want = {
                "distance": math.hypot(x2 - x1, y2 - y1),
                "slope": (y2 - y1) / (x2 - x1),
                "y_intercept": y1 - (y2 - y1) / (x2 - x1) * x1,
            }.get(task)
            if task == "midpoint":
                got = [float(v) for v in answer.strip("()").split(",")]
                assert got == [(x1 + x2) / 2, (y1 + y2) / 2]
                continue
        elif gt["shape"] == "triangle":
            poly = np.array([*pts, pts[0]], dtype=float)
            area = 0.5 * abs(np.sum(poly[:-1, 0] * poly[1:, 1] - poly[1:, 0] * poly[:-1, 1]))
            sides = np.linalg.norm(np.diff(poly, axis=0), axis=1).sum()
            want = area if task == "area" else sides
        elif gt["shape"] == "circle":
            r = p["r"]
            if task == "point_position":
                px, py = gt["question"]["point"]
                d = math.hypot(px - p["h"], py - p["k"])
                assert answer == ("on" if d == r else "inside" if d < r else "outside")
                continue
            want = math.pi * r * r if task == "area" else 2 * math.pi * r
        elif gt["shape"] == "parabola":
            if task == "vertex":
                assert answer == f"({p['h']}, {p['k']})"
                continue
            want = 1 / (4 * abs(p["a"][0] / p["a"][1]))
        else:
            a, b = p["a"], p["b"]
            c = math.sqrt(abs(a * a - b * b)) if gt["shape"] == "ellipse" else math.hypot(a, b)
            want = {"area": math.pi * a * b, "focal_distance": 2 * c, "asymptote_slope": b / a}[
                task
            ]
        assert close(answer, want), (gt, answer, want)


def test_solid_answers_from_dimensions() -> None:
    for gt, answer in items("solid_geometry", 45):
        s, d, task = gt["solid"], gt["dims"], gt["question"]["task"]
        if task.endswith("_view"):
            assert answer in ("square", "rectangle", "circle", "triangle")
            if s == "cone":
                assert answer == ("triangle" if task == "front_view" else "circle")
            continue
        if s in ("cube", "prism"):
            a, b, c = (d["a"],) * 3 if s == "cube" else (d["l"], d["w"], d["h"])
            want = {
                "volume": a * b * c,
                "surface": 2 * (a * b + b * c + a * c),
                "diagonal": math.sqrt(a * a + b * b + c * c),
            }[task]
        elif s == "sphere":
            want = {"volume": 4 / 3 * math.pi * d["r"] ** 3, "surface": 4 * math.pi * d["r"] ** 2}[
                task
            ]
        else:
            r, h = d["r"], d["h"]
            slant = math.hypot(r, h)
            want = {
                ("cylinder", "volume"): math.pi * r * r * h,
                ("cylinder", "surface"): 2 * math.pi * r * r + 2 * math.pi * r * h,
                ("cylinder", "lateral"): 2 * math.pi * r * h,
                ("cone", "volume"): math.pi * r * r * h / 3,
                ("cone", "surface"): math.pi * r * r + math.pi * r * slant,
                ("cone", "slant"): slant,
            }[(s, task)]
        assert close(answer, want), (gt, answer, want)


def test_stats_answers_from_data() -> None:
    for gt, answer in items("stats_chart", 45):
        task = gt["question"]["task"]
        if gt["chart"] == "histogram":
            counts, edges = np.array(gt["counts"]), gt["edges"]
            if task == "modal_bin":
                k = int(np.argmax(counts))
                assert answer == f"{edges[k]}-{edges[k + 1]}"
                continue
            tail = counts[edges.index(gt["question"].get("from", edges[0])) :].sum()
            want = {"total": counts.sum(), "at_least": tail, "probability": tail / counts.sum()}[
                task
            ]
        elif gt["chart"] == "box_plot":
            lo, q1, med, q3, hi = gt["five"]
            want = {"median": med, "iqr": q3 - q1, "range": hi - lo}[task]
        else:
            pts = np.array(gt["points"], dtype=float)
            m, b = np.polyfit(pts[:, 0], pts[:, 1], 1)
            if task == "correlation":
                assert answer == ("positive" if np.corrcoef(pts.T)[0, 1] > 0 else "negative")
                continue
            if task == "above_line":
                want = int(np.sum(pts[:, 1] > m * pts[:, 0] + b))
            elif task == "slope":
                want = m
            else:
                want = round(m, 2) * gt["question"]["x0"] + round(b, 2)
        assert close(answer, float(want)), (gt, answer, want)


def test_captions_name_the_ground_truth_and_reject_edits() -> None:
    gen = get_generator("diagram_caption")()
    sources = set()
    for gt, answer in items("diagram_caption", 30):
        sources.add(gt["source"])
        assert gen.verify(gt, answer) is None
        truth = gt["source_truth"]
        for number in [*truth.get("dims", {}).values(), *truth.get("counts", [])]:
            assert str(number) in answer
        assert gen.verify(gt, answer.replace(".", ",", 1) + " x") is not None
    assert sources == {
        "function_plot",
        "analytic_geometry",
        "solid_geometry",
        "stats_chart",
        "geometry",
    }


def test_fractions_are_exact_in_the_scatter_fit() -> None:
    from mmrecipe.synth.stem.statistics import fit

    m, b = fit([[1, 2], [2, 3], [3, 5]])
    assert (m, b) == (Fraction(3, 2), Fraction(1, 3))
