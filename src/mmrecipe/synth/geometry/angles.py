"""Geometry family: triangle angles: angle sum, exterior angle, bisector, perpendicular."""

from __future__ import annotations

import math
import random
from typing import Any

from mmrecipe.synth.geometry.plane import Figure, Step, add, fmt, intersect, mul, sub, unit


def draw_givens(rng: random.Random) -> dict[str, Any]:
    """The given values of one problem (the only random part of the family)."""
    while True:
        al, be = rng.randint(30, 80), rng.randint(30, 80)
        if 30 <= 180 - al - be <= 110 and al != be:
            return {"alpha": al, "beta": be}


def build(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
    al, be = g["alpha"], g["beta"]
    A, B = (0.0, 0.0), (6.0, 0.0)
    ra = (math.cos(math.radians(al)), math.sin(math.radians(al)))
    rb = (-math.cos(math.radians(be)), math.sin(math.radians(be)))
    C = intersect(A, add(A, ra), B, add(B, rb))
    f = Figure(pts={"A": A, "B": B, "C": C})
    f.segs += [("A", "B"), ("B", "C"), ("C", "A")]
    f.angle_marks += [("B", "A", "C", f"{al}°"), ("C", "B", "A", f"{be}°")]
    c = 180 - al - be
    steps = [
        Step(
            f"In triangle ABC, ∠CAB = {al}° and ∠ABC = {be}°.",
            f"The angles of a triangle sum to 180°, so ∠ACB = 180° − {al}° − {be}° = {c}°.",
            "the measure of ∠ACB in degrees",
            c,
            ["angle", "A", "C", "B"],
            "angle",
        )
    ]
    if n >= 2:
        f.pts["D"] = add(C, mul(unit(sub(C, B)), 2.5))
        f.segs.append(("C", "D"))
        acd = 180 - c
        steps.append(
            Step(
                "Side BC is extended beyond C to a point D.",
                f"B, C, D are collinear, so ∠ACD = 180° − ∠ACB = 180° − {c}° = {acd}°.",
                "the measure of ∠ACD in degrees",
                acd,
                ["angle", "A", "C", "D"],
                "angle",
            )
        )
    if n >= 3:
        bis = unit(add(unit(sub(A, C)), unit(sub(f.pts["D"], C))))
        f.pts["E"] = add(C, mul(bis, 2.5))
        f.dashed.append(("C", "E"))
        ecd = acd / 2
        steps.append(
            Step(
                "Ray CE bisects ∠ACD.",
                f"A bisector halves the angle: ∠ECD = ∠ACD / 2 = {fmt(acd)}° / 2 = {fmt(ecd)}°.",
                "the measure of ∠ECD in degrees",
                ecd,
                ["angle", "E", "C", "D"],
                "angle",
            )
        )
    if n >= 4:
        inner = unit(add(unit(sub(A, C)), unit(sub(B, C))))
        f.pts["F"] = intersect(C, add(C, inner), A, B)
        f.dashed.append(("C", "F"))
        f.right_angles.append(("E", "C", "F"))
        acf = 90 - ecd
        steps.append(
            Step(
                "Line CF is perpendicular to CE and meets AB at F.",
                f"∠ECA = ∠ECD = {fmt(ecd)}° and ∠ECF = 90°, so ∠ACF = 90° − {fmt(ecd)}° "
                f"= {fmt(acf)}°.",
                "the measure of ∠ACF in degrees",
                acf,
                ["angle", "A", "C", "F"],
                "angle",
            )
        )
    if n >= 5:
        cfb = al + acf
        steps.append(
            Step(
                "F lies between A and B.",
                f"∠CFB is an exterior angle of triangle ACF, so ∠CFB = ∠CAF + ∠ACF = "
                f"{al}° + {fmt(acf)}° = {fmt(cfb)}°.",
                "the measure of ∠CFB in degrees",
                cfb,
                ["angle", "C", "F", "B"],
                "angle",
            )
        )
    return f, steps
