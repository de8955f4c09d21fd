"""Geometry family: regular polygon: circumradius, apothem, area."""

from __future__ import annotations

import math
import random
from typing import Any

from mmrecipe.synth.geometry.plane import Figure, Step, eq, fmt


def draw_givens(rng: random.Random) -> dict[str, Any]:
    """The given values of one problem (the only random part of the family)."""
    return {"sides": rng.randint(5, 8), "side": rng.randint(2, 12)}


def build(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
    k, s = g["sides"], g["side"]
    names = "ABCDEFGH"[:k]
    big_r = s / (2 * math.sin(math.pi / k))
    f = Figure(pts={"O": (0.0, 0.0)})
    for i, name in enumerate(names):
        t = -math.pi / 2 - math.pi / k + 2 * math.pi * i / k
        f.pts[name] = (big_r * math.cos(t), big_r * math.sin(t))
    f.segs += [(names[i], names[(i + 1) % k]) for i in range(k)]
    f.dashed += [("O", "A"), ("O", "B")]
    f.length_labels.append(("A", "B", fmt(s)))
    central = 360 / k
    label = {5: "pentagon", 6: "hexagon", 7: "heptagon", 8: "octagon"}[k]
    steps = [
        Step(
            f"{names} is a regular {label} ({k} sides) with side {fmt(s)} and centre O.",
            f"The {k} central angles are equal and fill 360°, so ∠AOB = 360°/{k} {eq(central)}°.",
            "the measure of ∠AOB in degrees",
            central,
            ["angle", "A", "O", "B"],
            "angle",
        )
    ]
    if n >= 2:
        interior = 180 - central
        steps.append(
            Step(
                "Consider the interior angle at vertex B.",
                f"Triangles OAB and OBC are isosceles, so ∠ABC = ∠OBA + ∠OBC = 180° − ∠AOB "
                f"{eq(interior)}°.",
                "the measure of ∠ABC in degrees",
                interior,
                ["angle", "A", "B", "C"],
                "angle",
            )
        )
    if n >= 3:
        steps.append(
            Step(
                "OA is the circumradius.",
                f"In isosceles triangle OAB, AB = 2·OA·sin(∠AOB/2), so OA = {fmt(s)}/(2·sin "
                f"{fmt(central / 2)}°) {eq(big_r)}.",
                "the length of OA",
                big_r,
                ["len", "O", "A"],
            )
        )
    if n >= 4:
        area = k * big_r * big_r * math.sin(math.radians(central)) / 2
        steps.append(
            Step(
                f"The {label} is split into {k} triangles congruent to OAB.",
                f"Area = {k}·OA²·sin(∠AOB)/2 = {k}·{fmt(big_r * big_r)}·sin {fmt(central)}°/2 "
                f"{eq(area)}.",
                f"the area of the {label}",
                area,
                ["area", list(names)],
                "area",
            )
        )
    return f, steps
