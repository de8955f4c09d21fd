"""Geometry family: parallel line in a triangle: similar triangles (intercept theorem)."""

from __future__ import annotations

import math
import random
from typing import Any

from mmrecipe.synth.geometry.plane import Figure, Step, eq, fmt


def draw_givens(rng: random.Random) -> dict[str, Any]:
    """The given values of one problem (the only random part of the family)."""
    ac = rng.randint(4, 15)
    return {"ab": rng.randint(3, 15), "ac": ac, "cd": rng.randint(1, ac - 1)}


def build(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
    c, b, d = g["ab"], g["ac"], g["cd"]
    f = Figure(pts={"A": (0.0, 0.0), "B": (float(c), 0.0), "C": (0.0, float(b))})
    f.pts["D"] = (0.0, float(b - d))
    f.pts["E"] = (c * d / b, float(b - d))
    f.segs += [("A", "B"), ("B", "C"), ("C", "A"), ("D", "E")]
    f.right_angles.append(("B", "A", "C"))
    f.length_labels += [("A", "B", fmt(c)), ("C", "D", fmt(d)), ("D", "A", fmt(b - d))]
    de = c * d / b
    steps = [
        Step(
            f"Triangle ABC has a right angle at A with AB = {fmt(c)}. D is on AC with "
            f"CD = {fmt(d)} and DA = {fmt(b - d)}; DE ∥ AB meets BC at E.",
            f"DE ∥ AB gives triangle CDE ~ triangle CAB, so DE = AB·CD/CA = "
            f"{fmt(c)}·{fmt(d)}/{fmt(b)} {eq(de)}.",
            "the length of DE",
            de,
            ["len", "D", "E"],
        )
    ]
    if n >= 2:
        trap = (c + de) / 2 * (b - d)
        steps.append(
            Step(
                "ABED is a right trapezoid (DE ∥ AB, DA ⊥ AB).",
                f"Its area = (AB + DE)/2 · DA = ({fmt(c)} + {fmt(de)})/2 · {fmt(b - d)} "
                f"{eq(trap)}.",
                "the area of trapezoid ABED",
                trap,
                ["area", ["A", "B", "E", "D"]],
                "area",
            )
        )
    if n >= 3:
        bc = math.hypot(b, c)
        be = bc * (b - d) / b
        steps.append(
            Step(
                "E lies on BC.",
                f"BC = √(AB² + AC²) {eq(bc)}; by the same similarity CE/CB = CD/CA, so "
                f"BE = BC·DA/CA = {fmt(bc)}·{fmt(b - d)}/{fmt(b)} {eq(be)}.",
                "the length of BE",
                be,
                ["len", "B", "E"],
            )
        )
    return f, steps
