"""Solid geometry: cubes, rectangular prisms, cylinders, cones and spheres drawn in oblique
projection (hidden edges dashed, dimensions labelled), with volume, surface, diagonal, slant and
orthographic-view questions. Answers are computed from the dimensions in the ground truth.
"""

from __future__ import annotations

import math
import random
from typing import Any

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.render import figure_image, mpl_figure, pin_fonts
from mmrecipe.synth.stem.numbers import check_value, written
from mmrecipe.synth.stem.plotting import draw_style

SOLIDS_BY_LEVEL = {1: ("cube", "prism"), 2: ("cylinder", "sphere"), 3: ("cone",)}
TASKS = {
    "cube": ("volume", "surface", "diagonal", "front_view"),
    "prism": ("volume", "surface", "diagonal", "top_view"),
    "cylinder": ("volume", "surface", "lateral", "front_view", "top_view"),
    "sphere": ("volume", "surface", "front_view"),
    "cone": ("volume", "surface", "slant", "front_view", "top_view"),
}
#: the orthographic views of the round solids and the cube as drawn (axis upright)
VIEWS = {
    "cube": {"front_view": "square", "top_view": "square"},
    "cylinder": {"front_view": "rectangle", "top_view": "circle"},
    "sphere": {"front_view": "circle", "top_view": "circle"},
    "cone": {"front_view": "triangle", "top_view": "circle"},
}
_WORDS = {
    "volume": "volume",
    "surface": "total surface area",
    "lateral": "lateral surface area",
    "diagonal": "length of the space diagonal",
    "slant": "slant height",
}


def view_of(solid: str, d: dict[str, Any], view: str) -> str:
    """The outline of an orthographic view; a prism's face is a square when its sides match."""
    if solid == "prism":
        a, b = (d["l"], d["h"]) if view == "front_view" else (d["l"], d["w"])
        return "square" if a == b else "rectangle"
    return VIEWS[solid][view]


def derive(gt: dict[str, Any]) -> tuple[Any, str]:
    solid, d, task = gt["solid"], gt["dims"], gt["question"]["task"]
    if task in ("front_view", "top_view"):
        shape = view_of(solid, d, task)
        axis = "from the front" if task == "front_view" else "from above"
        return shape, f"Seen {axis}, the solid's outline is a {shape}"
    if solid in ("cube", "prism"):
        a, b, c = (int(d["a"]),) * 3 if solid == "cube" else (int(d["l"]), int(d["w"]), int(d["h"]))
        if task == "volume":
            return a * b * c, f"V = {a}·{b}·{c} = {a * b * c}"
        if task == "surface":
            s = 2 * (a * b + a * c + b * c)
            return s, f"S = 2({a}·{b} + {a}·{c} + {b}·{c}) = {s}"
        return math.sqrt(
            a * a + b * b + c * c
        ), f"d = √({a}² + {b}² + {c}²) = √{a * a + b * b + c * c}"
    r = int(d["r"])
    if solid == "sphere":
        if task == "volume":
            return 4 / 3 * math.pi * r**3, f"V = (4/3)πr³ = (4/3)π·{r}³"
        return 4 * math.pi * r * r, f"S = 4πr² = 4π·{r}²"
    h = int(d["h"])
    if solid == "cylinder":
        if task == "volume":
            return math.pi * r * r * h, f"V = πr²h = π·{r}²·{h}"
        if task == "lateral":
            return 2 * math.pi * r * h, f"L = 2πrh = 2π·{r}·{h}"
        return 2 * math.pi * r * (r + h), f"S = 2πr(r + h) = 2π·{r}·({r} + {h})"
    slant = math.sqrt(r * r + h * h)
    if task == "volume":
        return math.pi * r * r * h / 3, f"V = (1/3)πr²h = (1/3)π·{r}²·{h}"
    if task == "slant":
        return slant, f"l = √(r² + h²) = √({r}² + {h}²) = √{r * r + h * h}"
    return math.pi * r * (
        r + slant
    ), f"l = √({r}² + {h}²); S = πr(r + l) = π·{r}·({r} + {slant:.4f})"


@register_generator("solid_geometry")
class SolidGeometryGenerator(Generator):
    """Solids in oblique projection; difficulty 1-3 adds round solids, then cones."""

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        level = max(1, min(difficulty, 3))
        solid = rng.choice([s for lv in range(1, level + 1) for s in SOLIDS_BY_LEVEL[lv]])
        dims: dict[str, int]
        if solid == "cube":
            dims = {"a": rng.randint(2, 9)}
        elif solid == "prism":
            dims = {"l": rng.randint(3, 10), "w": rng.randint(2, 7), "h": rng.randint(2, 8)}
        elif solid == "sphere":
            dims = {"r": rng.randint(2, 9)}
        else:
            dims = {"r": rng.randint(2, 6), "h": rng.randint(3, 10)}
        task = rng.choice(TASKS[solid])
        gt: dict[str, Any] = {"solid": solid, "dims": dims, "question": {"task": task}}
        value, why = derive(gt)
        if isinstance(value, str):
            view = "front" if task == "front_view" else "top"
            question = (
                f"What shape is the {view} view (orthographic projection) of this solid? "
                "Answer with one word."
            )
            answer = value
        else:
            answer, clause = written(value)
            given = ", ".join(f"{k} = {v}" for k, v in dims.items())
            if rng.random() < 0.5:
                given = "the dimensions labelled"  # read them off the figure
            question = f"The solid shown has {given}. What is its {_WORDS[task]}?{clause}"
        image = render(gt, draw_style(rng), rng.uniform(25, 50))
        return SynthItem(
            images=[image],
            task=f"solid_geometry/{solid}/{task}",
            ground_truth=gt,
            question=question,
            answer=answer,
            rationale=why + ".",
            extra={"caption": caption(gt)},
        )

    def caption(self, ground_truth: dict[str, Any]) -> str:
        return caption(ground_truth)

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        return check_value(derive(ground_truth)[0], answer)


def caption(gt: dict[str, Any]) -> str:
    solid, d = gt["solid"], gt["dims"]
    name = {"prism": "rectangular prism"}.get(solid, solid)
    dims = ", ".join(f"{k} = {v}" for k, v in d.items())
    return f"An oblique drawing of a {name} with {dims}; hidden edges are dashed."


def render(gt: dict[str, Any], style: dict[str, Any], depth_angle: float) -> Any:
    """Cabinet projection: depth drawn at ``depth_angle`` degrees, half length."""
    import numpy as np

    solid, d = gt["solid"], gt["dims"]
    ink, lw, fs = style["ink"], style["line_width"], style["font_size"] + 1
    ca, sa = 0.5 * math.cos(math.radians(depth_angle)), 0.5 * math.sin(math.radians(depth_angle))

    def pr(x: float, y: float, z: float) -> tuple[float, float]:
        return x + ca * z, y + sa * z

    with mpl_figure(style["height_in"], style["height_in"], style["dpi"]) as fig:
        fig.set_facecolor(style["background"])
        ax = fig.add_subplot(1, 1, 1)
        ax.set_facecolor(style["background"])

        def seg(p: tuple[float, float], q: tuple[float, float], hidden: bool = False) -> None:
            ax.plot(
                [p[0], q[0]],
                [p[1], q[1]],
                color=ink,
                linewidth=lw * (0.6 if hidden else 1),
                linestyle="--" if hidden else "-",
            )

        def label(at: tuple[float, float], text: str) -> None:
            ax.text(at[0], at[1], text, ha="center", va="center", fontsize=fs, color=ink)
            ax.plot([at[0]], [at[1]], alpha=0.0)  # the label's place counts in the limits

        if solid in ("cube", "prism"):
            a, b, c = (d["a"],) * 3 if solid == "cube" else (d["l"], d["h"], d["w"])
            v = {(i, j, k): pr(i * a, j * b, k * c) for i in (0, 1) for j in (0, 1) for k in (0, 1)}
            for p, q in [
                ((0, 0, 0), (1, 0, 0)),
                ((0, 0, 0), (0, 1, 0)),
                ((1, 0, 0), (1, 1, 0)),
                ((0, 1, 0), (1, 1, 0)),
                ((0, 1, 0), (0, 1, 1)),
                ((1, 1, 0), (1, 1, 1)),
                ((1, 0, 0), (1, 0, 1)),
                ((0, 1, 1), (1, 1, 1)),
                ((1, 0, 1), (1, 1, 1)),
            ]:
                seg(v[p], v[q])
            for q in ((1, 0, 1), (0, 1, 1)):
                seg(v[(0, 0, 1)], v[q], hidden=True)
            seg(v[(0, 0, 0)], v[(0, 0, 1)], hidden=True)
            if solid == "cube":
                label((a / 2, -0.08 * a - 0.3), f"a = {a}")
            else:
                label((a / 2, -0.3 - 0.04 * a), f"l = {a}")
                label((-0.5 - 0.05 * a, b / 2), f"h = {b}")
                label((a + ca * c / 2 + 0.7, sa * c / 2 - 0.1), f"w = {c}")
        else:
            r = d["r"]
            t = np.linspace(0, 2 * np.pi, 300)
            ex, ey = r * np.cos(t), 0.3 * r * np.sin(t)  # the base circle, seen from above the rim
            front = np.sin(t) <= 0

            def base_circle() -> None:
                """The base circle as an ellipse: front half solid, back half dashed."""
                ax.plot(np.where(front, ex, np.nan), np.where(front, ey, np.nan), color=ink, lw=lw)
                back_x, back_y = np.where(~front, ex, np.nan), np.where(~front, ey, np.nan)
                ax.plot(back_x, back_y, color=ink, linewidth=lw * 0.6, linestyle="--")

            if solid == "sphere":
                ax.plot(r * np.cos(t), r * np.sin(t), color=ink, linewidth=lw)
                base_circle()
                seg((0, 0), (r, 0))
                label((r / 2, 0.12 * r + 0.2), f"r = {r}")
            else:
                h = d["h"]
                base_circle()
                if solid == "cylinder":
                    ax.plot(ex, ey + h, color=ink, linewidth=lw)
                    seg((-r, 0), (-r, h))
                    seg((r, 0), (r, h))
                else:
                    seg((-r, 0), (0, h))
                    seg((r, 0), (0, h))
                seg((0, 0), (r, 0), hidden=True)
                seg((0, 0), (0, h), hidden=True)
                label((r / 2, -0.12 * r - 0.35), f"r = {r}")
                label((0.45 + 0.05 * h, h / 2), f"h = {h}")
        ax.set_aspect("equal")
        ax.axis("off")
        ax.margins(0.12)
        pin_fonts(fig, style["font"])
        fig.tight_layout()
        return figure_image(fig)
