"""Function plots with questions answered exactly by sympy.

MAVIS's data engine, in the seed list, "Automatically creates math diagrams" by rules, with
captions, Q&A and CoT rationales and no GPT API; this is such an engine for function graphs.

Families: linear, quadratic, polynomial (cubic with integer roots), exponential, logarithmic,
trigonometric and piecewise (continuous, a line then a parabola). Questions: a value, the
y-intercept, the number of x-intercepts, the maximum or minimum on the shown range, whether
the function increases or decreases on an interval, how many times it meets a drawn line, and
the sign of the area between the curve and the x-axis. The function is always given (on the
plot or in the question), so every answer is determined by the image and the text.
"""

from __future__ import annotations

import math
import random
from typing import Any

import sympy as sp

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.phrasing import article
from mmrecipe.synth.render import figure_image, mpl_figure, pin_fonts
from mmrecipe.synth.stem import functions as fn
from mmrecipe.synth.stem.numbers import check_number, check_word, frac, pair, written
from mmrecipe.synth.stem.plotting import draw_style, style_axes

TASKS_BY_LEVEL = {
    1: ("value", "y_intercept", "zero_count"),
    2: ("extremum", "monotonic"),
    3: ("intersections", "area_sign"),
}
TASKS = tuple(t for lv in sorted(TASKS_BY_LEVEL) for t in TASKS_BY_LEVEL[lv])
_WORD_TASKS = ("monotonic", "area_sign")


def _x(q: dict[str, Any], key: str) -> sp.Expr:
    value = fn._q(q[key])
    return value * sp.pi if q.get(f"{key}_pi") else value


def _plain(v: sp.Expr) -> str:
    return str(sp.nsimplify(v)).replace("pi", "π").replace("*", "")


def _open_low(gt: dict[str, Any]) -> bool:
    return gt["family"] == "logarithmic"


def derive(gt: dict[str, Any]) -> tuple[str, str, Any]:
    """``(answer, rationale, exact value or word)`` from the function and the question spec."""
    family, p, q = gt["family"], gt["params"], gt["question"]
    parts = fn.pieces(family, p)
    task = q["task"]
    if task in ("value", "y_intercept"):
        at = sp.Integer(0) if task == "y_intercept" else _x(q, "x0")
        value = fn.evaluate(parts, at)
        answer, _ = written(value)
        return answer, f"Substitute x = {_plain(at)}: f({_plain(at)}) = {_plain(value)}.", value
    if task == "zero_count":
        roots = fn.zeros(parts, open_low=_open_low(gt))
        listed = ", ".join(f"x = {_plain(r)}" for r in roots) or "none"
        return str(len(roots)), f"Solve f(x) = 0 on the shown range: {listed}.", len(roots)
    if task == "extremum":
        value = fn.extreme(parts, q["kind"], open_low=_open_low(gt))
        if not value.is_finite:
            raise ValueError("unbounded on the shown range")
        answer, _ = written(value)
        word = "maximum" if q["kind"] == "max" else "minimum"
        why = (
            "Compare f at the critical points and the ends of the range: "
            f"the {word} is {_plain(value)}."
        )
        return answer, why, value
    if task == "monotonic":
        word = fn.monotone(parts, int(q["lo"]), int(q["hi"]))
        if word is None:
            raise ValueError("not monotone on the interval")
        slopes = "; ".join(_plain(sp.diff(e, fn.X)) for e, _, _ in parts)
        why = f"f'(x) = {slopes} keeps one sign on [{q['lo']}, {q['hi']}], so f is {word} there."
        return word, why, word
    if task == "intersections":
        line = fn._q(q["m"]) * fn.X + fn._q(q["b"])
        roots = fn.zeros(parts, other=line, open_low=_open_low(gt))
        listed = ", ".join(f"x = {_plain(r)}" for r in roots) or "no solution"
        return str(len(roots)), f"Solve f(x) = {sp.latex(line)}: {listed}.", len(roots)
    if task == "area_sign":
        area = fn.integral(parts, int(q["lo"]), int(q["hi"]))
        word = "positive" if float(area) > 0 else "negative"
        why = (
            f"The signed area ∫ f(x) dx from {q['lo']} to {q['hi']} = {float(area):.2f}, "
            f"so it is {word}."
        )
        return word, why, area
    raise ValueError(f"unknown function-plot task {task!r}")


@register_generator("function_plot")
class FunctionPlotGenerator(Generator):
    """Plots of functions; difficulty 1-3 adds families and harder questions."""

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        level = max(1, min(difficulty, 3))
        family = rng.choice(fn.families_up_to(level))
        params = fn.draw_params(family, rng)
        tasks = [t for lv in range(1, level + 1) for t in TASKS_BY_LEVEL[lv]]
        rng.shuffle(tasks)
        gt: dict[str, Any] = {"family": family, "params": params}
        for task in tasks:
            question = self._question(rng, task, family, params)
            if question is None:
                continue
            gt["question"] = question
            try:
                answer, rationale, value = derive(gt)
            except (ValueError, NotImplementedError, TypeError):
                continue
            if task == "area_sign" and abs(float(value)) < 0.5:
                continue  # too close to zero to judge from a plot
            break
        else:  # every family has a value question
            gt["question"] = self._question(rng, "value", family, params)
            answer, rationale, value = derive(gt)
        label = fn.latex(family, params)
        gt["label_on_plot"] = rng.random() < 0.6
        style = draw_style(rng)
        text = self._text(gt, value)
        image = render(gt, style, label)
        return SynthItem(
            images=[image],
            task=f"function_plot/{gt['question']['task']}",
            ground_truth=gt,
            question=text,
            answer=answer,
            rationale=rationale,
            extra={"caption": caption(gt)},
        )

    def _question(
        self, rng: random.Random, task: str, family: str, p: dict[str, Any]
    ) -> dict[str, Any] | None:
        q: dict[str, Any] = {"task": task}
        lo, hi = (-6, 6) if family == "trigonometric" else (int(p["lo"]), int(p["hi"]))
        if family == "logarithmic":
            lo += 1
        if task == "value":
            if family == "trigonometric":
                k = rng.randint(-3, 3)
                q.update(x0=pair(frac(k) / (2 * frac(p["freq"]))), x0_pi=True)
            elif family == "logarithmic":
                q["x0"] = int(p["h"]) + int(p["base"]) ** rng.randint(0, 2)
            else:
                q["x0"] = rng.randint(max(lo, -3), min(hi, 3))
        elif task == "y_intercept" and not (lo <= 0 <= hi):
            return None
        elif task == "extremum":
            q["kind"] = rng.choice(["max", "min"])
        elif task in ("monotonic", "area_sign"):
            a = rng.randint(lo, hi - 2)
            q.update(lo=a, hi=rng.randint(a + 2, min(hi, a + 4)))
        elif task == "intersections":
            if family in ("exponential", "logarithmic", "trigonometric"):
                return None
            q.update(m=rng.randint(-2, 2), b=rng.randint(-3, 3))
        return q

    def _text(self, gt: dict[str, Any], value: Any) -> str:
        q, task = gt["question"], gt["question"]["task"]
        given = (
            "The graph of the function is shown."
            if gt["label_on_plot"]
            else (f"The graph shows {fn.plain(gt['family'], gt['params'])}.")
        )
        trig = gt["family"] == "trigonometric"
        rng_text = "for -2π ≤ x ≤ 2π" if trig else "on the shown range"
        clause = ""
        if task == "value":
            ask = f"What is f({_plain(_x(q, 'x0'))})?"
        elif task == "y_intercept":
            ask = "At what y-value does the graph cross the y-axis?"
        elif task == "zero_count":
            ask = f"How many x-intercepts does the graph have {rng_text}?"
        elif task == "extremum":
            word = "maximum" if q["kind"] == "max" else "minimum"
            ask = f"What is the {word} value of f {rng_text}?"
        elif task == "monotonic":
            ask = (
                f"On the interval [{q['lo']}, {q['hi']}], is f increasing or decreasing? "
                "Answer 'increasing' or 'decreasing'."
            )
        elif task == "intersections":
            line = sp.latex(fn._q(q["m"]) * fn.X + fn._q(q["b"]))
            ask = (
                f"The dashed line is y = {line}. "
                f"How many times does it meet the graph of f {rng_text}?"
            )
        else:
            ask = (
                f"Is the signed area between the graph and the x-axis from x = {q['lo']} to "
                f"x = {q['hi']} positive or negative? Answer 'positive' or 'negative'."
            )
        if task in ("value", "y_intercept", "extremum"):
            clause = written(value)[1]
        return f"{given} {ask}{clause}"

    def caption(self, ground_truth: dict[str, Any]) -> str:
        return caption(ground_truth)

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        expected, _, value = derive(ground_truth)
        if ground_truth["question"]["task"] in _WORD_TASKS:
            return check_word(expected, answer)
        return check_number(value, answer)


def caption(gt: dict[str, Any]) -> str:
    """What the diagram shows, from the ground truth alone (MAVIS-style caption data)."""
    family, p = gt["family"], gt["params"]
    label = fn.plain(family, p)
    lo, hi = fn.window(family, p)
    text = (
        f"A coordinate plane with the graph of {article(family)} {family} function, {label}, "
        "drawn for x from "
        f"{_plain(lo)} to {_plain(hi)}."
    )
    q = gt.get("question", {})
    if q.get("task") == "intersections":
        line = sp.latex(fn._q(q["m"]) * fn.X + fn._q(q["b"]))
        text += f" A dashed line y = {line} is drawn as well."
    return text


def render(gt: dict[str, Any], style: dict[str, Any], label: str) -> Any:
    import numpy as np

    family, p, q = gt["family"], gt["params"], gt["question"]
    parts = fn.pieces(family, p)
    lo, hi = (float(v) for v in fn.window(family, p))
    with mpl_figure(style["width_in"], style["height_in"], style["dpi"]) as fig:
        fig.set_facecolor(style["background"])
        ax = fig.add_subplot(1, 1, 1)
        ys_all = []
        for k, (expr, a, b) in enumerate(parts):
            a_f = float(a) + (1e-3 if family == "logarithmic" and k == 0 else 0.0)
            xs = np.linspace(a_f, float(b), 400)
            f = sp.lambdify(fn.X, expr, "numpy")
            ys = np.broadcast_to(np.asarray(f(xs), dtype=float), xs.shape)
            ys_all.append(ys)
            ax.plot(
                xs,
                ys,
                color=style["ink"],
                linewidth=style["line_width"],
                label=f"${label}$" if k == 0 else None,
            )
        ys = np.concatenate(ys_all)
        top, bottom = float(np.max(ys)), float(np.min(ys))
        if family in ("exponential", "logarithmic"):
            top, bottom = min(top, 20.0), max(bottom, -20.0)
        span = max(top - bottom, 2.0)
        ax.set_ylim(min(bottom, 0) - 0.08 * span, max(top, 0) + 0.08 * span)
        ax.set_xlim(lo - 0.3, hi + 0.3)
        if q.get("task") == "intersections":
            xs = np.linspace(lo, hi, 50)
            m, b = float(fn._q(q["m"])), float(fn._q(q["b"]))
            ax.plot(xs, m * xs + b, linestyle="--", color=style["second_ink"], linewidth=1.4)
        if family == "trigonometric":
            ticks = [k * math.pi / 2 for k in range(-4, 5)]
            names = ["-2π", "-3π/2", "-π", "-π/2", "0", "π/2", "π", "3π/2", "2π"]
            ax.set_xticks(ticks, names)
        style_axes(ax, style)
        if gt["label_on_plot"]:
            ax.legend(loc="best", fontsize=style["font_size"], framealpha=0.9)
        pin_fonts(fig, style["font"])
        fig.tight_layout()
        return figure_image(fig)
