"""Plane geometry in true coordinates: vector helpers, the drawn Figure and a chain Step.

Shared by every geometry family (one module each) and by the diagram renderer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Point = tuple[float, float]


# --- vectors ---------------------------------------------------------------------------------
def add(p: Point, q: Point) -> Point:
    return (p[0] + q[0], p[1] + q[1])


def sub(p: Point, q: Point) -> Point:
    return (p[0] - q[0], p[1] - q[1])


def mul(p: Point, k: float) -> Point:
    return (p[0] * k, p[1] * k)


def unit(p: Point) -> Point:
    n = math.hypot(*p)
    return (p[0] / n, p[1] / n)


def mid(p: Point, q: Point) -> Point:
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)


def foot(p: Point, a: Point, b: Point) -> Point:
    d = sub(b, a)
    t = ((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / (d[0] ** 2 + d[1] ** 2)
    return add(a, mul(d, t))


def intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> Point:
    d1, d2 = sub(p2, p1), sub(q2, q1)
    den = d1[0] * d2[1] - d1[1] * d2[0]
    t = ((q1[0] - p1[0]) * d2[1] - (q1[1] - p1[1]) * d2[0]) / den
    return add(p1, mul(d1, t))


def angle(p: Point, v: Point, q: Point) -> float:
    a, b = sub(p, v), sub(q, v)
    cos = (a[0] * b[0] + a[1] * b[1]) / (math.hypot(*a) * math.hypot(*b))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def poly_area(pts: list[Point]) -> float:
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
            return angle(p[spec[1]], p[spec[2]], p[spec[3]])
        if kind == "area":
            return poly_area([p[n] for n in spec[1]])
        if kind == "circle_area":
            return math.pi * math.dist(p[spec[1]], p[spec[2]]) ** 2
        if kind == "circle_minus":
            circle = math.pi * math.dist(p[spec[1]], p[spec[2]]) ** 2
            return circle - poly_area([p[n] for n in spec[3]])
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


def eq(v: float) -> str:
    return f"= {fmt(v)}" if abs(v - round(v, 2)) < 1e-9 else f"≈ {fmt(v)}"


Builder = Callable[[dict[str, Any], int], tuple[Figure, list[Step]]]
