"""Drawing a chart with matplotlib: the visual spec (palette, fonts, scale), one drawer a type."""

from __future__ import annotations

import random
from typing import Any

from mmrecipe.synth.chart.data import fmt_value, series_values
from mmrecipe.synth.render import (
    BOLD_FONTS,
    PALETTES,
    figure_image,
    mpl_figure,
    pin_fonts,
)


def make_spec(
    rng: random.Random,
    ctype: str,
    table: dict[str, Any],
    question: dict[str, Any],
    difficulty: int,
) -> dict[str, Any]:
    show_values = True
    if difficulty == 3 and question["task"] in ("compare", "extrema", "trend"):
        vals = sorted(series_values(table, question["series"]))
        gap = vals[-1] - vals[-2] if question.get("kind") != "lowest" else vals[1] - vals[0]
        if question["task"] != "extrema":
            a, b = (
                series_values(table, question["series"])[question[k]] for k in ("index", "other")
            )
            gap = abs(a - b)
        show_values = not (gap >= 0.12 * vals[-1] and rng.random() < 0.5)
    values = [v for s in table["series"] for v in s["values"]]
    log_ok = ctype in ("bar", "line", "grouped_bar") and min(values) > 0
    return {
        "type": ctype,
        "title": table["title"] if rng.random() < 0.85 else "",
        "palette": rng.choice(sorted(PALETTES)),
        "font": rng.choice(["sans", "serif", "mono", "stix"]),
        "title_font": rng.choice(BOLD_FONTS),
        "width_in": round(rng.uniform(4.2, 6.4), 1),
        "height_in": round(rng.uniform(3.2, 4.6), 1),
        "dpi": rng.choice([80, 90, 100]),
        "grid": rng.random() < 0.5,
        "show_values": show_values,
        "log_scale": log_ok and difficulty == 3 and rng.random() < 0.3,
        "legend_loc": rng.choice(["upper left", "upper right", "lower right", "best"]),
        "background": rng.choice(["#ffffff", "#ffffff", "#f7f7f7", "#fbf8f0", "#eef2f7"]),
        "marker": rng.choice(["o", "s", "^", "D"]),
        "font_size": rng.choice([9, 10, 11]),
    }


def render_chart(spec: dict[str, Any], table: dict[str, Any]) -> Any:
    """Draw the chart of ``spec`` and ``table``; returns a PIL image."""
    with mpl_figure(spec["width_in"], spec["height_in"], spec["dpi"]) as fig:
        fig.set_facecolor(spec["background"])
        ax = fig.add_subplot(1, 1, 1)
        ax.set_facecolor(spec["background"])
        _DRAW[spec["type"]](ax, spec, table)
        if spec["title"]:
            ax.set_title(spec["title"], fontsize=spec["font_size"] + 3)
        pin_fonts(fig, spec["font"])
        if spec["title"]:
            from matplotlib.font_manager import FontProperties

            from mmrecipe.synth.render import font_path

            ax.title.set_fontproperties(
                FontProperties(fname=font_path(spec["title_font"]), size=spec["font_size"] + 3)
            )
        fig.tight_layout()
        return figure_image(fig)


def _colors(spec: dict[str, Any]) -> list[str]:
    return PALETTES[spec["palette"]]


def _labels(table: dict[str, Any], values: list[float]) -> list[str]:
    return [fmt_value(table, v) for v in values]


def _finish_axes(ax: Any, spec: dict[str, Any], table: dict[str, Any], horizontal: bool) -> None:
    size = spec["font_size"]
    ax.tick_params(labelsize=size)
    value_axis = ax.set_xlabel if horizontal else ax.set_ylabel
    cat_axis = ax.set_ylabel if horizontal else ax.set_xlabel
    value_axis(table["value_label"], fontsize=size)
    cat_axis(table["category_name"], fontsize=size)
    if spec["grid"]:
        ax.grid(axis="x" if horizontal else "y", alpha=0.4)
        ax.set_axisbelow(True)
    if spec["log_scale"]:
        (ax.set_xscale if horizontal else ax.set_yscale)("log")
    ax.margins(**({"x": 0.15} if horizontal else {"y": 0.15}))
    if len(table["series"]) > 1:
        ax.legend(loc=spec["legend_loc"], fontsize=size - 1, framealpha=0.8)


def _draw_bar(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    horizontal = spec["type"] == "hbar"
    cats, vals = table["categories"], series_values(table, 0)
    color = _colors(spec)[0]
    if horizontal:
        bars = ax.barh(cats, vals, color=color)
        ax.invert_yaxis()
    else:
        bars = ax.bar(cats, vals, color=color)
    if spec["show_values"]:
        ax.bar_label(bars, labels=_labels(table, vals), fontsize=spec["font_size"] - 1, padding=2)
    _finish_axes(ax, spec, table, horizontal)


def _draw_grouped(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    cats, series = table["categories"], table["series"]
    width = 0.8 / len(series)
    colors = _colors(spec)
    for k, s in enumerate(series):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(cats))]
        bars = ax.bar(xs, s["values"], width=width, color=colors[k], label=s["name"])
        if spec["show_values"]:
            ax.bar_label(bars, labels=_labels(table, s["values"]), fontsize=spec["font_size"] - 2)
    ax.set_xticks(range(len(cats)), cats)
    _finish_axes(ax, spec, table, False)


def _draw_stacked(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    cats, series = table["categories"], table["series"]
    bottom = [0.0] * len(cats)
    colors = _colors(spec)
    for k, s in enumerate(series):
        bars = ax.bar(cats, s["values"], bottom=bottom, color=colors[k], label=s["name"])
        if spec["show_values"]:
            ax.bar_label(
                bars,
                labels=_labels(table, s["values"]),
                label_type="center",
                fontsize=spec["font_size"] - 2,
            )
        bottom = [b + v for b, v in zip(bottom, s["values"], strict=True)]
    _finish_axes(ax, spec, table, False)


def _draw_line(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    cats, series = table["categories"], table["series"]
    colors = _colors(spec)
    for k, s in enumerate(series):
        ax.plot(cats, s["values"], marker=spec["marker"], color=colors[k], label=s["name"])
        if spec["show_values"]:
            for i, v in enumerate(s["values"]):
                ax.annotate(
                    fmt_value(table, v),
                    (i, v),
                    textcoords="offset points",
                    xytext=(0, 5),
                    ha="center",
                    fontsize=spec["font_size"] - 2,
                    color=colors[k],
                )
    _finish_axes(ax, spec, table, False)


def _draw_pie(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    vals = series_values(table, 0)
    labels = [
        f"{c}\n{fmt_value(table, v)}%" for c, v in zip(table["categories"], vals, strict=True)
    ]
    ax.pie(
        vals,
        labels=labels,
        colors=[_colors(spec)[i % 7] for i in range(len(vals))],
        startangle=90,
        counterclock=False,
        textprops={"fontsize": spec["font_size"]},
        wedgeprops={"edgecolor": "white"},
    )
    ax.set_aspect("equal")


def _draw_scatter(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    xs, ys = series_values(table, 0), series_values(table, 1)
    top = max(max(xs), max(ys)) + 1
    ax.scatter(xs, ys, color=_colors(spec)[0], marker=spec["marker"], zorder=3)
    for label, x, y in zip(table["categories"], xs, ys, strict=True):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=9)
    ax.set_xticks(range(0, int(top) + 1))
    ax.set_yticks(range(0, int(top) + 1))
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.grid(alpha=0.5)
    ax.set_axisbelow(True)
    ax.set_xlabel("x", fontsize=spec["font_size"])
    ax.set_ylabel("y", fontsize=spec["font_size"])
    ax.tick_params(labelsize=spec["font_size"] - 1)


_DRAW = {
    "bar": _draw_bar,
    "hbar": _draw_bar,
    "grouped_bar": _draw_grouped,
    "stacked_bar": _draw_stacked,
    "line": _draw_line,
    "pie": _draw_pie,
    "scatter": _draw_scatter,
}
