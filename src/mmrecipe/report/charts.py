"""Tiny inline SVG charts (no matplotlib, no external assets): cheap enough to draw for every
report, even when ``mmrecipe analyze`` was never run. Every label goes through ``html.escape``."""

from __future__ import annotations

import math
from html import escape

KEPT_COLOR = "#2e7d32"
REJECTED_COLOR = "#c62828"
BAR_COLOR = "#1565c0"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.3g}"


def bins_for(values: list[float], max_bins: int = 20) -> list[tuple[float, float, str]]:
    """``(low, high, label)`` bins: one per value for integers in a narrow range (the 1–5
    judge scores), else ``max_bins`` equal bins from min to max."""
    if not values:
        return []
    distinct = sorted(set(values))
    integers = all(float(v).is_integer() for v in distinct)
    if integers and distinct[-1] - distinct[0] < max_bins:
        return [(v, v, _fmt(v)) for v in distinct]
    lo, hi = distinct[0], distinct[-1]
    if lo == hi:
        return [(lo, hi, _fmt(lo))]
    width = (hi - lo) / max_bins
    return [
        (
            lo + i * width,
            lo + (i + 1) * width,
            f"{_fmt(lo + i * width)}–{_fmt(lo + (i + 1) * width)}",
        )
        for i in range(max_bins)
    ]


def _bin_counts(values: list[float], bins: list[tuple[float, float, str]]) -> list[int]:
    counts = [0] * len(bins)
    if not bins:
        return counts
    if all(lo == hi for lo, hi, _ in bins):
        where = {lo: i for i, (lo, _, _) in enumerate(bins)}
        for v in values:
            if v in where:
                counts[where[v]] += 1
        return counts
    lo, hi = bins[0][0], bins[-1][1]
    n = len(bins)
    for v in values:
        i = min(n - 1, max(0, int((v - lo) / (hi - lo) * n)))
        counts[i] += 1
    return counts


def histogram(title: str, kept: list[float], rejected: list[float], unit: str = "") -> str:
    """A stacked (kept below, rejected above) histogram as an ``<svg>`` element."""
    bins = bins_for(kept + rejected)
    if not bins:
        return ""
    k_counts = _bin_counts(kept, bins)
    r_counts = _bin_counts(rejected, bins)
    top = max(k + r for k, r in zip(k_counts, r_counts, strict=True)) or 1
    w, h, pad_l, pad_b, pad_t = 360, 170, 34, 34, 22
    bw = (w - pad_l - 6) / len(bins)
    parts = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">',
        f'<text x="{pad_l}" y="14" class="t">{escape(title)}</text>',
        f'<text x="2" y="{pad_t + 8}" class="s">{top}</text>',
        f'<text x="2" y="{h - pad_b}" class="s">0</text>',
    ]
    scale = (h - pad_b - pad_t) / top
    for i, (k, r) in enumerate(zip(k_counts, r_counts, strict=True)):
        x = pad_l + i * bw
        kh, rh = k * scale, r * scale
        y0 = h - pad_b
        tip = escape(f"{bins[i][2]}{unit}: {k} kept, {r} rejected")
        parts.append(f"<g><title>{tip}</title>")
        if kh:
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y0 - kh:.1f}" width="{max(bw - 2, 1):.1f}" '
                f'height="{kh:.1f}" fill="{KEPT_COLOR}"/>'
            )
        if rh:
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y0 - kh - rh:.1f}" width="{max(bw - 2, 1):.1f}" '
                f'height="{rh:.1f}" fill="{REJECTED_COLOR}"/>'
            )
        parts.append("</g>")
    step = max(1, math.ceil(len(bins) / 6))
    for i in range(0, len(bins), step):
        label = bins[i][2].split("–")[0]
        parts.append(
            f'<text x="{pad_l + i * bw + bw / 2:.1f}" y="{h - pad_b + 14}" class="s" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="{w - 6}" y="{h - 4}" class="s" text-anchor="end">'
        f'<tspan fill="{KEPT_COLOR}">■ kept</tspan> <tspan fill="{REJECTED_COLOR}">■ rejected</tspan>'
        "</text></svg>"
    )
    return "".join(parts)


def hbars(title: str, items: list[tuple[str, int]], limit: int = 15) -> str:
    """Horizontal bars of ``(label, count)``, largest first, at most ``limit`` rows."""
    items = sorted(items, key=lambda kv: (-kv[1], kv[0]))[:limit]
    if not items:
        return ""
    top = max(c for _, c in items) or 1
    row, pad_l, w = 18, 150, 420
    h = 24 + row * len(items)
    parts = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">',
        f'<text x="4" y="14" class="t">{escape(title)}</text>',
    ]
    for i, (label, count) in enumerate(items):
        y = 22 + i * row
        bar = (w - pad_l - 50) * count / top
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f"<g><title>{escape(label)}: {count}</title>"
            f'<text x="{pad_l - 4}" y="{y + 12}" class="s" text-anchor="end">{escape(short or "(none)")}</text>'
            f'<rect x="{pad_l}" y="{y + 2}" width="{max(bar, 1):.1f}" height="{row - 5}" fill="{BAR_COLOR}"/>'
            f'<text x="{pad_l + bar + 4:.1f}" y="{y + 12}" class="s">{count}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
