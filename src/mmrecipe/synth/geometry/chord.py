"""Geometry family: circle and chord: distance from the centre, arcs, areas."""

from __future__ import annotations

import math
import random
from typing import Any

from mmrecipe.synth.geometry.plane import Figure, Step, eq, fmt


def draw_givens(rng: random.Random) -> dict[str, Any]:
    """The given values of one problem (the only random part of the family)."""
    if rng.random() < 0.5:
        m = rng.randint(1, 3)
        leg, _other, hyp = rng.choice([(3, 4, 5), (4, 3, 5), (5, 12, 13), (12, 5, 13)])
        return {"r": hyp * m, "half": leg * m}
    r = rng.randint(4, 15)
    return {"r": r, "half": rng.randint(2, r - 1)}


def build(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
    r, h = g["r"], g["half"]
    d = math.sqrt(r * r - h * h)
    f = Figure(pts={"O": (0.0, 0.0), "A": (-float(h), -d), "B": (float(h), -d), "M": (0.0, -d)})
    f.circles.append(("O", "A"))
    f.segs += [("O", "A"), ("A", "B")]
    f.dashed.append(("O", "M"))
    f.right_angles.append(("O", "M", "B"))
    f.length_labels += [("O", "A", fmt(r))]
    steps = [
        Step(
            f"Circle O has radius OA = {fmt(r)}. AB is a chord of length {fmt(2 * h)}, and M is "
            "the foot of the perpendicular from O to AB.",
            f"The perpendicular from the centre bisects the chord, so AM = AB/2 = {fmt(h)}; in "
            f"right triangle OAM, OM = √(OA² − AM²) = √({fmt(r * r)} − {fmt(h * h)}) {eq(d)}.",
            "the length of OM",
            d,
            ["len", "O", "M"],
        )
    ]
    if n >= 2:
        f.pts["P"] = (0.0, -float(r))
        f.dashed.append(("M", "P"))
        mp = r - d
        steps.append(
            Step(
                "Ray OM meets the circle at P.",
                f"OP is a radius, so MP = OP − OM = {fmt(r)} − {fmt(d)} {eq(mp)}.",
                "the length of MP",
                mp,
                ["len", "M", "P"],
            )
        )
    if n >= 3:
        f.segs.append(("A", "P"))
        ap = math.hypot(h, mp)
        steps.append(
            Step(
                "Segment AP is drawn.",
                f"In right triangle AMP, AP = √(AM² + MP²) = √({fmt(h * h)} + {fmt(mp * mp)}) "
                f"{eq(ap)}.",
                "the length of AP",
                ap,
                ["len", "A", "P"],
            )
        )
    if n >= 4:
        f.segs.append(("B", "P"))
        tri = h * mp
        steps.append(
            Step(
                "Segment BP is drawn.",
                f"Triangle ABP has base AB = {fmt(2 * h)} and height MP, so its area = "
                f"AB·MP/2 = {fmt(2 * h)}·{fmt(mp)}/2 {eq(tri)}.",
                "the area of triangle ABP",
                tri,
                ["area", ["A", "B", "P"]],
                "area",
            )
        )
    if n >= 5:
        out = math.pi * r * r - tri
        steps.append(
            Step(
                "Consider the region inside the circle but outside triangle ABP.",
                f"Its area = πr² − area(ABP) = π·{fmt(r * r)} − {fmt(tri)} {eq(out)}.",
                "the area of the region inside circle O but outside triangle ABP",
                out,
                ["circle_minus", "O", "A", ["A", "B", "P"]],
                "area",
            )
        )
    return f, steps
