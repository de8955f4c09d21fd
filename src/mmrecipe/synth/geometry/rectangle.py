"""Geometry family: rectangle: diagonal, circumscribed circle, areas."""

from __future__ import annotations

import math
import random
from typing import Any

from mmrecipe.synth.geometry.plane import Figure, Step, eq, fmt


def draw_givens(rng: random.Random) -> dict[str, Any]:
    """The given values of one problem (the only random part of the family)."""
    w = rng.randint(3, 14)
    return {"w": w, "h": w if rng.random() < 0.2 else rng.randint(2, 12)}


def build(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
    w, h = g["w"], g["h"]
    f = Figure(
        pts={
            "A": (-w / 2, -h / 2),
            "B": (w / 2, -h / 2),
            "C": (w / 2, h / 2),
            "D": (-w / 2, h / 2),
        }
    )
    f.segs += [("A", "B"), ("B", "C"), ("C", "D"), ("D", "A"), ("A", "C")]
    f.right_angles.append(("A", "B", "C"))
    f.length_labels += [("A", "B", fmt(w)), ("B", "C", fmt(h))]
    ac = math.hypot(w, h)
    shape = "square" if w == h else "rectangle"
    steps = [
        Step(
            f"ABCD is a {shape} with AB = {fmt(w)} and BC = {fmt(h)}; AC is a diagonal.",
            f"Triangle ABC has a right angle at B, so AC = √(AB² + BC²) = "
            f"√({fmt(w * w)} + {fmt(h * h)}) {eq(ac)}.",
            "the length of AC",
            ac,
            ["len", "A", "C"],
        )
    ]
    if n >= 2:
        f.pts["O"] = (0.0, 0.0)
        f.dashed.append(("B", "D"))
        f.circles.append(("O", "A"))
        steps.append(
            Step(
                f"The diagonals meet at O, and a circle centred at O passes through A, B, C and D "
                f"(the circle circumscribed about the {shape}).",
                f"The diagonals of a {shape} are equal and bisect each other, so the radius "
                f"OA = AC/2 {eq(ac / 2)}.",
                "the radius OA",
                ac / 2,
                ["len", "O", "A"],
            )
        )
    if n >= 3:
        circ = math.pi * (ac / 2) ** 2
        steps.append(
            Step(
                "Consider the disc bounded by the circle.",
                f"Its area = π·OA² = π·{fmt((ac / 2) ** 2)} {eq(circ)}.",
                "the area of the circle",
                circ,
                ["circle_area", "O", "A"],
                "area",
            )
        )
    if n >= 4:
        out = circ - w * h
        steps.append(
            Step(
                f"Consider the part of the disc outside the {shape}.",
                f"The {shape} has area AB·BC = {fmt(w * h)}, so the part outside is "
                f"{fmt(circ)} − {fmt(w * h)} {eq(out)}.",
                f"the area inside the circle but outside the {shape}",
                out,
                ["circle_minus", "O", "A", ["A", "B", "C", "D"]],
                "area",
            )
        )
    return f, steps
