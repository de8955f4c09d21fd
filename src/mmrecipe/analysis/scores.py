"""Distribution of every numeric score, for kept and for rejected samples side by side.

Rejected samples keep the scores measured before the drop (the instruction-QC judges score
every instruction, then keep the good ones), so the two sides together show what a threshold
cut off, as in the Oasis paper's Fig. 8. Scores with few distinct values (1-5 ratings) are
counted per value; continuous scores are put into equal-width bins.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

MAX_DISTINCT = 20
BINS = 20
SIDES = ("kept", "rejected")


class ScoreDistributions:
    """Per score key and side, a counter of (rounded) values."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Counter[float]]] = {}

    def add(self, scores: Any, side: str) -> None:
        if not isinstance(scores, dict):
            return
        for key, value in scores.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value):
                continue
            rounded = float(value) if float(value).is_integer() else float(f"{value:.3g}")
            sides = self.values.setdefault(str(key), {s: Counter() for s in SIDES})
            sides[side][rounded] += 1

    def result(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key in sorted(self.values):
            sides = self.values[key]
            distinct = set(sides["kept"]) | set(sides["rejected"])
            binned = len(distinct) > MAX_DISTINCT
            entry: dict[str, Any] = {"binned": binned}
            edges = _edges(min(distinct), max(distinct)) if binned else None
            for side in SIDES:
                counts = sides[side]
                entry[side] = _binned(counts, edges) if edges else _per_value(counts)
                n = sum(counts.values())
                entry[f"{side}_count"] = n
                entry[f"{side}_mean"] = (
                    round(sum(v * c for v, c in counts.items()) / n, 4) if n else None
                )
            if edges:
                entry["bins"] = edges
            out[key] = entry
        return out


def _label(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _per_value(counts: Counter[float]) -> dict[str, int]:
    return {_label(v): counts[v] for v in sorted(counts)}


def _edges(lo: float, hi: float) -> list[float]:
    step = (hi - lo) / BINS
    return [float(f"{lo + i * step:.4g}") for i in range(BINS)] + [hi]


def _binned(counts: Counter[float], edges: list[float]) -> dict[str, int]:
    """Bin label ``"lo–hi"`` -> count; the last bin includes its upper edge."""
    out = {f"{_label(edges[i])}–{_label(edges[i + 1])}": 0 for i in range(len(edges) - 1)}
    labels = list(out)
    for value, c in counts.items():
        i = next((j for j in range(len(edges) - 2) if value < edges[j + 1]), len(edges) - 2)
        out[labels[i]] += c
    return out
