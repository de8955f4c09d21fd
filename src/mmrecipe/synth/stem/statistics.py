"""Statistics and probability charts: histograms, box plots and scatter plots with a fitted
least-squares line, with questions computed from the data in the ground truth (exact fractions
for the fit, so the answer does not depend on floating-point summation order).
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction
from typing import Any

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.render import figure_image, mpl_figure, pin_fonts
from mmrecipe.synth.stem.numbers import check_value, written
from mmrecipe.synth.stem.plotting import draw_style, style_axes

TASKS = {
    "histogram": ("modal_bin", "total", "at_least", "probability"),
    "box_plot": ("median", "iqr", "range"),
    "scatter": ("slope", "predict", "correlation", "above_line"),
}
CHARTS_BY_LEVEL = {1: ("histogram",), 2: ("box_plot",), 3: ("scatter",)}
#: (topic, unit, bin widths, first edges): histogram bins in a range the topic really has
_TOPICS = (
    ("Test scores", "Score", (5, 10), (20, 30, 40)),
    ("Commute times", "Minutes", (5, 10), (0, 5, 10)),
    ("Daily temperatures", "Temperature (C)", (2, 5), (-10, -4, 0, 6)),
    ("Plant heights", "Height (cm)", (5, 10), (10, 20, 30)),
)


def fit(points: list[list[int]]) -> tuple[Fraction, Fraction]:
    """Least-squares slope and intercept, exactly."""
    n = len(points)
    sx = sum(Fraction(x) for x, _ in points)
    sy = sum(Fraction(y) for _, y in points)
    sxx = sum(Fraction(x * x) for x, _ in points)
    sxy = sum(Fraction(x * y) for x, y in points)
    slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    return slope, (sy - slope * sx) / n


def shown_fit(points: list[list[int]]) -> tuple[float, float]:
    """The fitted line as the legend prints it (two decimals): what a reader can use."""
    m, b = fit(points)
    return round(float(m), 2), round(float(b), 2)


def derive(gt: dict[str, Any]) -> tuple[Any, str]:
    chart, q = gt["chart"], gt["question"]
    task = q["task"]
    if chart == "histogram":
        edges, counts = [int(e) for e in gt["edges"]], [int(c) for c in gt["counts"]]
        total = sum(counts)
        if task == "modal_bin":
            k = counts.index(max(counts))
            return (
                f"{edges[k]}-{edges[k + 1]}",
                f"The tallest bar is {edges[k]}-{edges[k + 1]} with {counts[k]} values",
            )
        if task == "total":
            return total, " + ".join(map(str, counts)) + f" = {total}"
        start = edges.index(int(q["from"]))
        part = sum(counts[start:])
        if task == "at_least":
            return part, f"Bars from {q['from']} up: " + " + ".join(
                map(str, counts[start:])
            ) + f" = {part}"
        return Fraction(
            part, total
        ), f"{part} of the {total} values are at least {q['from']}: {part}/{total}"
    if chart == "box_plot":
        lo, q1, med, q3, hi = (int(v) for v in gt["five"])
        if task == "median":
            return med, f"The line inside the box marks the median, {med}"
        if task == "iqr":
            return q3 - q1, f"IQR = Q3 − Q1 = {q3} − {q1} = {q3 - q1}"
        return hi - lo, f"range = max − min = {hi} − {lo} = {hi - lo}"
    points = gt["points"]
    m, b = fit(points)
    if task == "slope":
        return float(m), f"The least-squares slope is {float(m):.4f}"
    if task == "correlation":
        word = "positive" if m > 0 else "negative"
        return (
            word,
            f"The fitted line slopes {'up' if m > 0 else 'down'}, so the correlation is {word}",
        )
    if task == "predict":
        sm, sb = shown_fit(points)
        x0 = int(q["x0"])
        return sm * x0 + sb, f"y = {sm}·{x0} + {sb} = {sm * x0 + sb:.2f}"
    above = sum(1 for x, y in points if y > m * x + b)
    return above, f"{above} points lie above y = {float(m):.2f}x + {float(b):.2f}"


@register_generator("stats_chart")
class StatsChartGenerator(Generator):
    """Histograms (1), box plots (2), scatter plots with a fitted line (3)."""

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        level = max(1, min(difficulty, 3))
        chart = rng.choice([c for lv in range(1, level + 1) for c in CHARTS_BY_LEVEL[lv]])
        topic, unit, widths, starts = rng.choice(_TOPICS)
        gt: dict[str, Any] = {"chart": chart, "topic": topic, "unit": unit}
        if chart == "histogram":
            width, start, n = rng.choice(widths), rng.choice(starts), rng.randint(4, 7)
            gt["edges"] = [start + width * k for k in range(n + 1)]
            while True:
                counts = [rng.randint(1, 14) for _ in range(n)]
                if counts.count(max(counts)) == 1:
                    break
            gt["counts"] = counts
        elif chart == "box_plot":
            lo = 2 * rng.randint(0, 20)  # even values: every one sits on a labelled tick
            gaps = [2 * rng.randint(1, 6) for _ in range(4)]
            gt["five"] = [lo + sum(gaps[:k]) for k in range(5)]
        else:
            gt["points"] = self._points(rng)
        task = rng.choice(TASKS[chart])
        q: dict[str, Any] = {"task": task}
        if task in ("at_least", "probability"):
            q["from"] = rng.choice(gt["edges"][1:-1])
        if task == "predict":
            q["x0"] = rng.randint(13, 16)
        gt["question"] = q
        value, why = derive(gt)
        answer, clause = (value, "") if isinstance(value, str) else written(value)
        image = render(gt, draw_style(rng), rng.random() < 0.5)
        return SynthItem(
            images=[image],
            task=f"stats_chart/{chart}/{task}",
            ground_truth=gt,
            question=self._text(gt) + clause,
            answer=answer,
            rationale=why + ".",
            extra={"caption": caption(gt)},
        )

    def _points(self, rng: random.Random) -> list[list[int]]:
        while True:
            slope = rng.choice([-2, -1, 1, 2]) * rng.choice([0.5, 1.0])
            icpt = rng.randint(5, 15) if slope > 0 else rng.randint(20, 30)
            xs = sorted(rng.sample(range(1, 13), rng.randint(7, 11)))
            pts = [[x, max(0, round(slope * x + icpt + rng.uniform(-3, 3)))] for x in xs]
            m, b = fit(pts)
            # no point so close to the line that "above" is a judgement call
            if m != 0 and all(abs(y - (m * x + b)) > Fraction(1, 4) for x, y in pts):
                return pts

    def _text(self, gt: dict[str, Any]) -> str:
        q, task, topic = gt["question"], gt["question"]["task"], gt["topic"].lower()
        return {
            "modal_bin": f"The histogram shows {topic}. Which interval holds the most values? "
            "Answer as low-high, e.g. 10-20.",
            "total": f"The histogram shows {topic}. How many values are there in total?",
            "at_least": f"The histogram shows {topic}. "
            f"How many values are at least {q.get('from')}?",
            "probability": f"The histogram shows {topic}. "
            "If one value is picked at random, what is "
            f"the probability that it is at least {q.get('from')}?",
            "median": f"The box plot summarises {topic}. What is the median?",
            "iqr": f"The box plot summarises {topic}. What is the interquartile range?",
            "range": f"The box plot summarises {topic}. What is the range of the data?",
            "slope": "The scatter plot shows data with its least-squares line. "
            "What is the slope of "
            "the fitted line?",
            "predict": "Using the fitted line shown in the legend, what y does it predict at "
            f"x = {q.get('x0')}?",
            "correlation": "Is the correlation in the scatter plot positive or negative? Answer "
            "'positive' or 'negative'.",
            "above_line": "How many data points lie above the fitted line?",
        }[task]

    def caption(self, ground_truth: dict[str, Any]) -> str:
        return caption(ground_truth)

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        return check_value(derive(ground_truth)[0], answer)


def caption(gt: dict[str, Any]) -> str:
    chart = gt["chart"]
    if chart == "histogram":
        edges, counts = gt["edges"], gt["counts"]
        bins = "; ".join(f"{a}-{b}: {c}" for a, b, c in zip(edges, edges[1:], counts, strict=False))
        return f"A histogram of {gt['topic'].lower()} ({gt['unit']}) with counts {bins}."
    if chart == "box_plot":
        lo, q1, med, q3, hi = gt["five"]
        return (
            f"A box plot of {gt['topic'].lower()}: minimum {lo}, first quartile {q1}, median "
            f"{med}, third quartile {q3}, maximum {hi}."
        )
    m, b = shown_fit(gt["points"])
    return (
        f"A scatter plot of {len(gt['points'])} points with the least-squares line y = {m}x + {b}."
    )


def render(gt: dict[str, Any], style: dict[str, Any], flip: bool) -> Any:
    chart = gt["chart"]
    with mpl_figure(style["width_in"], style["height_in"], style["dpi"]) as fig:
        fig.set_facecolor(style["background"])
        ax = fig.add_subplot(1, 1, 1)
        ink = style["ink"]
        xlabel, ylabel = "x", "y"
        if chart == "histogram":
            edges, counts = gt["edges"], gt["counts"]
            widths = [b - a for a, b in itertools.pairwise(edges)]
            bars = ax.bar(
                edges[:-1],
                counts,
                width=widths,
                align="edge",
                color=ink,
                alpha=0.75,
                edgecolor="black",
                linewidth=0.8,
            )
            ax.set_xticks(edges)
            ax.set_yticks(range(0, max(counts) + 2, 1 if max(counts) <= 10 else 2))
            if max(counts) > 10 or flip:
                ax.bar_label(bars, fontsize=style["font_size"] - 1)
            xlabel, ylabel = gt["unit"], "Frequency"
            ax.set_title(gt["topic"], fontsize=style["font_size"] + 1)
        elif chart == "box_plot":
            lo, q1, med, q3, hi = gt["five"]
            stats = [
                {
                    "whislo": lo,
                    "q1": q1,
                    "med": med,
                    "q3": q3,
                    "whishi": hi,
                    "fliers": [],
                    "label": "",
                }
            ]
            import matplotlib

            # ``orientation`` replaced ``vert`` in matplotlib 3.10 (``vert`` warns from 3.11)
            newer = tuple(int(v) for v in matplotlib.__version__.split(".")[:2]) >= (3, 10)
            turn = (
                {"orientation": "horizontal" if flip else "vertical"}
                if newer
                else {"vert": not flip}
            )
            ax.bxp(
                stats,
                widths=0.5,
                patch_artist=True,
                boxprops={"facecolor": "#dbe6f4", "edgecolor": ink},
                medianprops={"color": ink, "linewidth": 2.0},
                **turn,
            )
            ticks = range(lo - 2, hi + 3, 2)
            (ax.set_xticks if flip else ax.set_yticks)(list(ticks))
            if flip:
                xlabel, ylabel = gt["unit"], ""
                ax.set_yticks([])
            else:
                xlabel, ylabel = "", gt["unit"]
                ax.set_xticks([])
            ax.set_title(gt["topic"], fontsize=style["font_size"] + 1)
        else:
            pts = gt["points"]
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=ink, s=22, zorder=3)
            m, b = shown_fit(pts)
            line = "#d62728" if style["ink"] != "#b22222" else "#1f77b4"
            ax.plot(
                [0, 13],
                [b, m * 13 + b],
                color=line,
                linewidth=1.6,
                label=f"y = {m:.2f}x {'+' if b >= 0 else '-'} {abs(b):.2f}",
            )
            ax.legend(loc="best", fontsize=style["font_size"])
            ax.set_xticks(range(0, 14))
            ax.set_xlim(0, 13)
        style_axes(ax, {**style, "axes": "box", "grid": "major"}, xlabel, ylabel)
        pin_fonts(fig, style["font"])
        fig.tight_layout()
        return figure_image(fig)
