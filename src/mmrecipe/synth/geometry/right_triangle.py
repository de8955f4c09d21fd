"""Geometry family: right triangle: hypotenuse, altitude, projections, midpoint."""

from __future__ import annotations

import math
import random
from typing import Any

from mmrecipe.synth.geometry.plane import Figure, Step, eq, fmt, foot, mid

_TRIPLES = [(3, 4), (5, 12), (8, 15), (7, 24), (6, 8), (9, 12), (20, 21)]


def draw_givens(rng: random.Random) -> dict[str, Any]:
    """The given values of one problem (the only random part of the family)."""
    if rng.random() < 0.5:
        a, b = rng.choice(_TRIPLES)
    else:
        a, b = rng.sample(range(3, 16), 2)
    return {"a": a, "b": b} if rng.random() < 0.5 else {"a": b, "b": a}


def build(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
    a, b = g["a"], g["b"]
    f = Figure(pts={"C": (0.0, 0.0), "B": (float(a), 0.0), "A": (0.0, float(b))})
    f.segs += [("A", "C"), ("C", "B"), ("A", "B")]
    f.right_angles.append(("A", "C", "B"))
    f.length_labels += [("A", "C", fmt(b)), ("C", "B", fmt(a))]
    ab = math.hypot(a, b)
    steps = [
        Step(
            f"Triangle ABC has a right angle at C, with AC = {fmt(b)} and BC = {fmt(a)}.",
            f"By the Pythagorean theorem, AB = √(AC² + BC²) = √({fmt(b * b)} + {fmt(a * a)}) "
            f"{eq(ab)}.",
            "the length of AB",
            ab,
            ["len", "A", "B"],
        )
    ]
    if n >= 2:
        f.pts["D"] = foot(f.pts["C"], f.pts["A"], f.pts["B"])
        f.dashed.append(("C", "D"))
        f.right_angles.append(("C", "D", "A"))
        cd = a * b / ab
        steps.append(
            Step(
                "CD is the altitude from C to the hypotenuse AB.",
                f"The area of ABC is AC·BC/2 = AB·CD/2, so CD = AC·BC/AB = "
                f"{fmt(b)}·{fmt(a)}/{fmt(ab)} {eq(cd)}.",
                "the length of CD",
                cd,
                ["len", "C", "D"],
            )
        )
    if n >= 3:
        ad = math.sqrt(b * b - cd * cd)
        steps.append(
            Step(
                "D lies on AB.",
                f"In right triangle ACD, AD = √(AC² − CD²) = √({fmt(b * b)} − {fmt(cd * cd)}) "
                f"{eq(ad)}.",
                "the length of AD",
                ad,
                ["len", "A", "D"],
            )
        )
    if n >= 4:
        f.pts["M"] = mid(f.pts["A"], f.pts["B"])
        dm = abs(ab / 2 - ad)
        steps.append(
            Step(
                "M is the midpoint of AB.",
                f"AM = AB/2 {eq(ab / 2)}, so DM = |AM − AD| = |{fmt(ab / 2)} − {fmt(ad)}| "
                f"{eq(dm)}.",
                "the length of DM",
                dm,
                ["len", "D", "M"],
            )
        )
    if n >= 5:
        f.segs.append(("C", "M"))
        area = cd * dm / 2
        steps.append(
            Step(
                "Segment CM is drawn.",
                f"Triangle CDM has a right angle at D, so its area = CD·DM/2 = "
                f"{fmt(cd)}·{fmt(dm)}/2 {eq(area)}.",
                "the area of triangle CDM",
                area,
                ["area", ["C", "D", "M"]],
                "area",
            )
        )
    return f, steps
