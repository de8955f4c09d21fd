"""Coordinate axes shared by the STEM plots: the look varies per item, the maths never does.

A style (drawn from the item's RNG) picks the figure size, the axes (crossing at the origin like
a textbook, or a boxed frame), the grid, the colours, line widths and fonts; the data and every
label that a question depends on are drawn in every style.
"""

from __future__ import annotations

import random
from typing import Any

from mmrecipe.synth.render import PALETTES, TEXT_FONTS

INKS = ("#1f4e9c", "#b22222", "#2e7d32", "#6a1b9a", "#000000", "#c2185b")


def draw_style(rng: random.Random) -> dict[str, Any]:
    return {
        "width_in": round(rng.uniform(4.4, 6.0), 1),
        "height_in": round(rng.uniform(3.6, 4.8), 1),
        "dpi": rng.choice([80, 90, 100]),
        "axes": rng.choice(["origin", "origin", "box"]),
        "grid": rng.choice(["none", "major", "major", "fine"]),
        "ink": rng.choice(INKS),
        "second_ink": rng.choice(PALETTES[rng.choice(sorted(PALETTES))]),
        "line_width": rng.choice([1.6, 2.0, 2.4]),
        "font": rng.choice([f for f in TEXT_FONTS if "oblique" not in f and "italic" not in f]),
        "font_size": rng.choice([9, 10, 11]),
        "background": rng.choice(["#ffffff", "#ffffff", "#fbfaf5", "#f5f8fc"]),
    }


def style_axes(ax: Any, style: dict[str, Any], xlabel: str = "x", ylabel: str = "y") -> None:
    """Axes through the origin with arrow-less spines, or a boxed frame with axis labels."""
    ax.set_facecolor(style["background"])
    if style["axes"] == "origin":
        for side in ("left", "bottom"):
            ax.spines[side].set_position("zero")
        for side in ("right", "top"):
            ax.spines[side].set_visible(False)
        # the axis names at the far ends of the axes: x right of the x-axis, y above the y-axis
        ends = (
            (xlabel, (1.0, 0), ("axes fraction", "data"), (4, 0), {"va": "center"}),
            (ylabel, (0, 1.0), ("data", "axes fraction"), (0, 4), {"ha": "center"}),
        )
        for text, xy, coords, offset, align in ends:
            ax.annotate(
                text,
                xy=xy,
                xycoords=coords,
                xytext=offset,
                textcoords="offset points",
                fontsize=style["font_size"],
                **align,
            )
    else:
        ax.set_xlabel(xlabel, fontsize=style["font_size"])
        ax.set_ylabel(ylabel, fontsize=style["font_size"])
    if style["grid"] != "none":
        ax.grid(True, which="major", color="#c8c8c8", linewidth=0.7)
        if style["grid"] == "fine":
            ax.minorticks_on()
            ax.grid(True, which="minor", color="#e6e6e6", linewidth=0.5)
        ax.set_axisbelow(True)
    ax.tick_params(labelsize=style["font_size"] - 1)
