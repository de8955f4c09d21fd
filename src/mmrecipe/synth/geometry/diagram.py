"""Drawing a geometry Figure: rotated, scaled to fit, with marks, labels and point names."""

from __future__ import annotations

import copy
import math
import random
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.drawing import dashed_line, font
from mmrecipe.synth.geometry.plane import Figure, Point, add, mid, mul, sub, unit

SIZE = 512
SCALE = 2  # drawn at 2x and downsampled: smooth lines without an anti-aliasing engine


def render(fig: Figure, rng: random.Random) -> Image.Image:
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
        u1, u2 = unit(sub(P[a], P[v])), unit(sub(P[b], P[v]))
        p1 = add(P[v], mul(u1, mark))
        p2 = add(p1, mul(u2, mark))
        p3 = add(P[v], mul(u2, mark))
        draw.line([p1, p2, p3], fill=ink, width=2 * SCALE)
    label_font = font(17 * SCALE)
    for a, v, b, text in fig.angle_marks:
        u1, u2 = unit(sub(P[a], P[v])), unit(sub(P[b], P[v]))
        t1, t2 = math.degrees(math.atan2(u1[1], u1[0])), math.degrees(math.atan2(u2[1], u2[0]))
        start, end = (t1, t2) if (t2 - t1) % 360 < 180 else (t2, t1)
        r = 26 * SCALE
        draw.arc([P[v][0] - r, P[v][1] - r, P[v][0] + r, P[v][1] + r], start, end, accent, lw)
        bis = unit(add(u1, u2))
        label(draw, add(P[v], mul(bis, 52 * SCALE)), text, label_font, accent)
    for a, b, text in fig.length_labels:
        m = mid(P[a], P[b])
        d = unit(sub(P[b], P[a]))
        normal = (-d[1], d[0])
        if (m[0] - centroid[0]) * normal[0] + (m[1] - centroid[1]) * normal[1] < 0:
            normal = (-normal[0], -normal[1])
        label(draw, add(m, mul(normal, 20 * SCALE)), text, label_font, accent)
    name_font = font(20 * SCALE)
    for name, p in P.items():
        r = 4 * SCALE
        draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=ink)
        away = sub(p, centroid)
        d = unit(away) if math.hypot(*away) > 1e-6 else (0.7, -0.7)
        label(draw, add(p, mul(d, 22 * SCALE)), name, name_font, ink)
    return im.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def label(draw: ImageDraw.ImageDraw, at: Point, text: str, f: Any, fill: Any) -> None:
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=f)
    draw.text((at[0] - (x1 + x0) / 2, at[1] - (y1 + y0) / 2), text, font=f, fill=fill)
