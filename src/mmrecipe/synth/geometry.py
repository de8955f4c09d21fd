"""Geometry problems built the R-CoT / MAVIS way: construct, compute, then ask in reverse.

A figure is constructed step by step in true coordinates (GeoChain): each step adds elements
(an altitude, a midpoint, a bisector, a circumscribed circle, a parallel line ...) and derives one
quantity from the previous ones with a named theorem. The chain's last result is the answer; the
question is then written *from* it (reverse question generation), stating only the construction
and the given values; the rationale is the chain of steps. ``difficulty`` = number of steps.

Verification rebuilds the construction from the stored givens and *measures* the target in the
coordinates (distance, angle, area) - an independent derivation from the theorem chain.
"""

from __future__ import annotations

import copy
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.drawing import dashed_line, font

Point = tuple[float, float]
SIZE = 512
SCALE = 2  # drawn at 2x and downsampled: smooth lines without an anti-aliasing engine


# --- plane geometry ----------------------------------------------------------------------------
def _add(p: Point, q: Point) -> Point:
    return (p[0] + q[0], p[1] + q[1])


def _sub(p: Point, q: Point) -> Point:
    return (p[0] - q[0], p[1] - q[1])


def _mul(p: Point, k: float) -> Point:
    return (p[0] * k, p[1] * k)


def _unit(p: Point) -> Point:
    n = math.hypot(*p)
    return (p[0] / n, p[1] / n)


def _mid(p: Point, q: Point) -> Point:
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)


def _foot(p: Point, a: Point, b: Point) -> Point:
    d = _sub(b, a)
    t = ((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / (d[0] ** 2 + d[1] ** 2)
    return _add(a, _mul(d, t))


def _intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> Point:
    d1, d2 = _sub(p2, p1), _sub(q2, q1)
    den = d1[0] * d2[1] - d1[1] * d2[0]
    t = ((q1[0] - p1[0]) * d2[1] - (q1[1] - p1[1]) * d2[0]) / den
    return _add(p1, _mul(d1, t))


def _angle(p: Point, v: Point, q: Point) -> float:
    a, b = _sub(p, v), _sub(q, v)
    cos = (a[0] * b[0] + a[1] * b[1]) / (math.hypot(*a) * math.hypot(*b))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _poly_area(pts: list[Point]) -> float:
    s = 0.0
    for i, p in enumerate(pts):
        q = pts[(i + 1) % len(pts)]
        s += p[0] * q[1] - q[0] * p[1]
    return abs(s) / 2


# --- figures and steps -------------------------------------------------------------------------
@dataclass
class Figure:
    """Everything drawn: named points, segments, circles and the marks that carry givens."""

    pts: dict[str, Point] = field(default_factory=dict)
    segs: list[tuple[str, str]] = field(default_factory=list)
    dashed: list[tuple[str, str]] = field(default_factory=list)
    circles: list[tuple[str, str]] = field(default_factory=list)  # centre, a point on it
    right_angles: list[tuple[str, str, str]] = field(default_factory=list)
    angle_marks: list[tuple[str, str, str, str]] = field(default_factory=list)
    length_labels: list[tuple[str, str, str]] = field(default_factory=list)

    def measure(self, spec: list[Any]) -> float:
        """Measure a quantity in the coordinates: len, angle, area, circle_area, circle_minus."""
        p = self.pts
        kind = spec[0]
        if kind == "len":
            return math.dist(p[spec[1]], p[spec[2]])
        if kind == "angle":
            return _angle(p[spec[1]], p[spec[2]], p[spec[3]])
        if kind == "area":
            return _poly_area([p[n] for n in spec[1]])
        if kind == "circle_area":
            return math.pi * math.dist(p[spec[1]], p[spec[2]]) ** 2
        if kind == "circle_minus":
            circle = math.pi * math.dist(p[spec[1]], p[spec[2]]) ** 2
            return circle - _poly_area([p[n] for n in spec[3]])
        raise ValueError(f"unknown measure {kind!r}")


@dataclass
class Step:
    """One link of the chain: what was constructed, the reasoning, and the quantity derived."""

    statement: str
    reasoning: str
    quantity: str
    value: float
    measure: list[Any]
    unit: str = "length"  # length | angle | area


def fmt(v: float) -> str:
    """Numbers as a person writes them: integers bare, others to two decimals."""
    if abs(v - round(v)) < 1e-9:
        return str(round(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _eq(v: float) -> str:
    return f"= {fmt(v)}" if abs(v - round(v, 2)) < 1e-9 else f"≈ {fmt(v)}"


Builder = Callable[[dict[str, Any], int], tuple[Figure, list[Step]]]


# --- families ----------------------------------------------------------------------------------
def _right_triangle(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
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
            f"{_eq(ab)}.",
            "the length of AB",
            ab,
            ["len", "A", "B"],
        )
    ]
    if n >= 2:
        f.pts["D"] = _foot(f.pts["C"], f.pts["A"], f.pts["B"])
        f.dashed.append(("C", "D"))
        f.right_angles.append(("C", "D", "A"))
        cd = a * b / ab
        steps.append(
            Step(
                "CD is the altitude from C to the hypotenuse AB.",
                f"The area of ABC is AC·BC/2 = AB·CD/2, so CD = AC·BC/AB = "
                f"{fmt(b)}·{fmt(a)}/{fmt(ab)} {_eq(cd)}.",
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
                f"{_eq(ad)}.",
                "the length of AD",
                ad,
                ["len", "A", "D"],
            )
        )
    if n >= 4:
        f.pts["M"] = _mid(f.pts["A"], f.pts["B"])
        dm = abs(ab / 2 - ad)
        steps.append(
            Step(
                "M is the midpoint of AB.",
                f"AM = AB/2 {_eq(ab / 2)}, so DM = |AM − AD| = |{fmt(ab / 2)} − {fmt(ad)}| "
                f"{_eq(dm)}.",
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
                f"{fmt(cd)}·{fmt(dm)}/2 {_eq(area)}.",
                "the area of triangle CDM",
                area,
                ["area", ["C", "D", "M"]],
                "area",
            )
        )
    return f, steps


def _angles(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
    al, be = g["alpha"], g["beta"]
    A, B = (0.0, 0.0), (6.0, 0.0)
    ra = (math.cos(math.radians(al)), math.sin(math.radians(al)))
    rb = (-math.cos(math.radians(be)), math.sin(math.radians(be)))
    C = _intersect(A, _add(A, ra), B, _add(B, rb))
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
        f.pts["D"] = _add(C, _mul(_unit(_sub(C, B)), 2.5))
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
        bis = _unit(_add(_unit(_sub(A, C)), _unit(_sub(f.pts["D"], C))))
        f.pts["E"] = _add(C, _mul(bis, 2.5))
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
        inner = _unit(_add(_unit(_sub(A, C)), _unit(_sub(B, C))))
        f.pts["F"] = _intersect(C, _add(C, inner), A, B)
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


def _chord(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
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
            f"right triangle OAM, OM = √(OA² − AM²) = √({fmt(r * r)} − {fmt(h * h)}) {_eq(d)}.",
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
                f"OP is a radius, so MP = OP − OM = {fmt(r)} − {fmt(d)} {_eq(mp)}.",
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
                f"{_eq(ap)}.",
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
                f"AB·MP/2 = {fmt(2 * h)}·{fmt(mp)}/2 {_eq(tri)}.",
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
                f"Its area = πr² − area(ABP) = π·{fmt(r * r)} − {fmt(tri)} {_eq(out)}.",
                "the area of the region inside circle O but outside triangle ABP",
                out,
                ["circle_minus", "O", "A", ["A", "B", "P"]],
                "area",
            )
        )
    return f, steps


def _rectangle(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
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
            f"√({fmt(w * w)} + {fmt(h * h)}) {_eq(ac)}.",
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
                f"OA = AC/2 {_eq(ac / 2)}.",
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
                f"Its area = π·OA² = π·{fmt((ac / 2) ** 2)} {_eq(circ)}.",
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
                f"{fmt(circ)} − {fmt(w * h)} {_eq(out)}.",
                f"the area inside the circle but outside the {shape}",
                out,
                ["circle_minus", "O", "A", ["A", "B", "C", "D"]],
                "area",
            )
        )
    return f, steps


def _polygon(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
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
            f"The {k} central angles are equal and fill 360°, so ∠AOB = 360°/{k} {_eq(central)}°.",
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
                f"{_eq(interior)}°.",
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
                f"{fmt(central / 2)}°) {_eq(big_r)}.",
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
                f"{_eq(area)}.",
                f"the area of the {label}",
                area,
                ["area", list(names)],
                "area",
            )
        )
    return f, steps


def _parallel(g: dict[str, Any], n: int) -> tuple[Figure, list[Step]]:
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
            f"{fmt(c)}·{fmt(d)}/{fmt(b)} {_eq(de)}.",
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
                f"{_eq(trap)}.",
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
                f"BC = √(AB² + AC²) {_eq(bc)}; by the same similarity CE/CB = CD/CA, so "
                f"BE = BC·DA/CA = {fmt(bc)}·{fmt(b - d)}/{fmt(b)} {_eq(be)}.",
                "the length of BE",
                be,
                ["len", "B", "E"],
            )
        )
    return f, steps


FAMILIES: dict[str, tuple[int, Builder]] = {
    "right_triangle": (5, _right_triangle),
    "angles": (5, _angles),
    "chord": (5, _chord),
    "rectangle": (4, _rectangle),
    "polygon": (4, _polygon),
    "parallel": (3, _parallel),
}
_TRIPLES = [(3, 4), (5, 12), (8, 15), (7, 24), (6, 8), (9, 12), (20, 21)]


def _givens(family: str, rng: random.Random) -> dict[str, Any]:
    if family == "right_triangle":
        if rng.random() < 0.5:
            a, b = rng.choice(_TRIPLES)
        else:
            a, b = rng.sample(range(3, 16), 2)
        return {"a": a, "b": b} if rng.random() < 0.5 else {"a": b, "b": a}
    if family == "angles":
        while True:
            al, be = rng.randint(30, 80), rng.randint(30, 80)
            if 30 <= 180 - al - be <= 110 and al != be:
                return {"alpha": al, "beta": be}
    if family == "chord":
        if rng.random() < 0.5:
            m = rng.randint(1, 3)
            leg, _other, hyp = rng.choice([(3, 4, 5), (4, 3, 5), (5, 12, 13), (12, 5, 13)])
            return {"r": hyp * m, "half": leg * m}
        r = rng.randint(4, 15)
        return {"r": r, "half": rng.randint(2, r - 1)}
    if family == "rectangle":
        w = rng.randint(3, 14)
        return {"w": w, "h": w if rng.random() < 0.2 else rng.randint(2, 12)}
    if family == "polygon":
        return {"sides": rng.randint(5, 8), "side": rng.randint(2, 12)}
    if family == "parallel":
        ac = rng.randint(4, 15)
        return {"ab": rng.randint(3, 15), "ac": ac, "cd": rng.randint(1, ac - 1)}
    raise ValueError(family)


# --- rendering ---------------------------------------------------------------------------------
def _render(fig: Figure, rng: random.Random) -> Image.Image:
    ink = rng.choice([(20, 20, 20), (25, 45, 110), (30, 30, 60)])
    paper = rng.choice([(255, 255, 255), (252, 250, 242), (246, 248, 252)])
    accent = (200, 40, 40)
    big = SIZE * SCALE
    # a random rotation and stroke: the same givens never give byte-identical figures, and a
    # model cannot learn that bases are always horizontal (lengths and angles are unchanged)
    turn = math.radians(rng.uniform(-30.0, 30.0))
    cos_t, sin_t = math.cos(turn), math.sin(turn)
    stroke = rng.choice([2, 3, 3, 4])
    fig = copy.copy(fig)
    fig.pts = {
        name: (x * cos_t - y * sin_t, x * sin_t + y * cos_t) for name, (x, y) in fig.pts.items()
    }
    pts = list(fig.pts.values())
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    for centre, on in fig.circles:
        o, r = fig.pts[centre], math.dist(fig.pts[centre], fig.pts[on])
        xs += [o[0] - r, o[0] + r]
        ys += [o[1] - r, o[1] + r]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    margin = 70 * SCALE
    k = (big - 2 * margin) / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def px(p: Point) -> Point:  # maths y-up -> image y-down, centred
        return (big / 2 + (p[0] - cx) * k, big / 2 - (p[1] - cy) * k)

    P = {name: px(p) for name, p in fig.pts.items()}
    centroid = (sum(p[0] for p in P.values()) / len(P), sum(p[1] for p in P.values()) / len(P))
    im = Image.new("RGB", (big, big), paper)
    draw = ImageDraw.Draw(im)
    lw = stroke * SCALE
    for centre, on in fig.circles:
        o, r = P[centre], math.dist(P[centre], P[on])
        draw.ellipse([o[0] - r, o[1] - r, o[0] + r, o[1] + r], outline=ink, width=lw)
    for a, b in fig.segs:
        draw.line([P[a], P[b]], fill=ink, width=lw)
    for a, b in fig.dashed:
        dashed_line(draw, P[a], P[b], ink, lw, dash=9 * SCALE)
    mark = 16 * SCALE
    for a, v, b in fig.right_angles:
        u1, u2 = _unit(_sub(P[a], P[v])), _unit(_sub(P[b], P[v]))
        p1 = _add(P[v], _mul(u1, mark))
        p2 = _add(p1, _mul(u2, mark))
        p3 = _add(P[v], _mul(u2, mark))
        draw.line([p1, p2, p3], fill=ink, width=2 * SCALE)
    label_font = font(17 * SCALE)
    for a, v, b, text in fig.angle_marks:
        u1, u2 = _unit(_sub(P[a], P[v])), _unit(_sub(P[b], P[v]))
        t1, t2 = math.degrees(math.atan2(u1[1], u1[0])), math.degrees(math.atan2(u2[1], u2[0]))
        start, end = (t1, t2) if (t2 - t1) % 360 < 180 else (t2, t1)
        r = 26 * SCALE
        draw.arc([P[v][0] - r, P[v][1] - r, P[v][0] + r, P[v][1] + r], start, end, accent, lw)
        bis = _unit(_add(u1, u2))
        _text(draw, _add(P[v], _mul(bis, 52 * SCALE)), text, label_font, accent)
    for a, b, text in fig.length_labels:
        m = _mid(P[a], P[b])
        d = _unit(_sub(P[b], P[a]))
        normal = (-d[1], d[0])
        if (m[0] - centroid[0]) * normal[0] + (m[1] - centroid[1]) * normal[1] < 0:
            normal = (-normal[0], -normal[1])
        _text(draw, _add(m, _mul(normal, 20 * SCALE)), text, label_font, accent)
    name_font = font(20 * SCALE)
    for name, p in P.items():
        r = 4 * SCALE
        draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=ink)
        away = _sub(p, centroid)
        d = _unit(away) if math.hypot(*away) > 1e-6 else (0.7, -0.7)
        _text(draw, _add(p, _mul(d, 22 * SCALE)), name, name_font, ink)
    return im.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _text(draw: ImageDraw.ImageDraw, at: Point, text: str, f: Any, fill: Any) -> None:
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=f)
    draw.text((at[0] - (x1 + x0) / 2, at[1] - (y1 + y0) / 2), text, font=f, fill=fill)


# --- the generator -----------------------------------------------------------------------------
_ASK = ["Find {q}.", "What is {q}?", "Compute {q}.", "Determine {q}."]


@register_generator("geometry")
class GeometryGenerator(Generator):
    """Geometry diagrams with a chained, verifiable answer (R-CoT GeoChain + reverse Q&A)."""

    levels = 5

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        n = max(1, min(difficulty, 5))
        families = sorted(k for k, (most, _) in FAMILIES.items() if most >= n)
        family = rng.choice(families)
        givens = _givens(family, rng)
        fig, steps = FAMILIES[family][1](givens, n)
        target = steps[-1]
        # reverse generation: the result exists first; the question states exactly the
        # construction that leads to it and asks for it
        # "Consider ..." sentences only name the quantity a step computes: the question asks
        # for the target by name, and the steps in between are the solver's work, not givens
        construction = " ".join(
            s.statement for s in steps if not s.statement.startswith("Consider")
        )
        whole = abs(target.value - round(target.value)) < 1e-9
        rounding = "" if whole else " Round to two decimal places."
        if target.unit == "angle":
            rounding = " Give the answer in degrees." + rounding
        question = f"{construction} {rng.choice(_ASK).format(q=target.quantity)}{rounding}"
        rationale = "\n".join(f"Step {i + 1}: {s.reasoning}" for i, s in enumerate(steps))
        # the answer honours the format the question asks for: two decimals, trailing zeros kept
        answer = str(round(target.value)) if whole else f"{target.value:.2f}"
        rationale += f"\nSo {target.quantity} is {answer}{'°' if target.unit == 'angle' else ''}."
        image = _render(fig, rng)
        description = " ".join(s.statement for s in steps)
        return SynthItem(
            images=[image],
            task=f"geometry/{family}",
            question=question,
            answer=answer,
            rationale=rationale,
            ground_truth={
                "family": family,
                "givens": givens,
                "steps": n,
                "target": target.quantity,
                "measure": target.measure,
                "value": target.value,
            },
            extra={"caption": description},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        family = ground_truth.get("family")
        if family not in FAMILIES:
            return f"unknown geometry family {family!r}"
        fig, steps = FAMILIES[family][1](ground_truth["givens"], int(ground_truth["steps"]))
        target = steps[-1]
        measured = fig.measure(target.measure)
        if abs(measured - target.value) > 1e-6 * max(1.0, abs(measured)):
            return f"construction gives {measured:.6f} but the theorem chain {target.value:.6f}"
        numbers = re.findall(r"-?\d+(?:\.\d+)?", answer.replace(",", ""))
        if not numbers:
            return f"no number in answer {answer!r}"
        got = float(numbers[-1])
        if abs(got - measured) > 0.0051 + 1e-9 * abs(measured):
            return f"answer {got} but the construction measures {measured:.4f}"
        return None
