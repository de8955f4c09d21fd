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
MAX_TRACKED = 20_000
BINS = 20
SIDES = ("kept", "rejected")


class ScoreDistributions:
    """Per score key and side, a counter of values.

    Values are kept to 6 significant digits; should a key collect more than
    ``MAX_TRACKED`` distinct values (a continuous score over millions of samples), its values
    are rounded one digit coarser, so memory stays bounded. In the result, integer-like scores
    map each value seen on either side (ascending) to its count on each side; continuous ones
    map ``"lo–hi"`` bin labels (ascending) to counts.
    """

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Counter[float]]] = {}
        self.digits: dict[str, int] = {}

    def add(self, scores: Any, side: str) -> None:
        if not isinstance(scores, dict):
            return
        for key, value in scores.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value):
                continue
            key = str(key)
            if key not in self.values:
                self.values[key] = {s: Counter() for s in SIDES}
                self.digits[key] = 6
            sides = self.values[key]
            sides[side][_round(value, self.digits[key])] += 1
            if len(sides[side]) > MAX_TRACKED:
                self._coarsen(key)

    def _coarsen(self, key: str) -> None:
        self.digits[key] -= 1
        for side, counts in self.values[key].items():
            coarse: Counter[float] = Counter()
            for v, c in counts.items():
                coarse[_round(v, self.digits[key])] += c
            self.values[key][side] = coarse

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
                entry[side] = _binned(counts, edges) if edges else _per_value(counts, distinct)
                n = sum(counts.values())
                entry[f"{side}_count"] = n
                entry[f"{side}_mean"] = (
                    round(sum(v * c for v, c in counts.items()) / n, 4) if n else None
                )
            if edges:
                entry["bins"] = edges
            out[key] = entry
        return out


def _round(value: float, digits: int) -> float:
    value = float(value)
    return value if value.is_integer() else float(f"{value:.{max(digits, 1)}g}")


def _label(value: float, digits: int = 3) -> str:
    return str(int(value)) if value.is_integer() else f"{value:.{digits}g}"


def _per_value(counts: Counter[float], values: set[float]) -> dict[str, int]:
    """Every value seen on either side, ascending, so kept and rejected line up."""
    return {_label(v): counts.get(v, 0) for v in sorted(values)}


def _edges(lo: float, hi: float) -> list[float]:
    step = (hi - lo) / BINS
    return [lo + i * step for i in range(BINS)] + [hi]


def _binned(counts: Counter[float], edges: list[float]) -> dict[str, int]:
    """Bin label ``"lo–hi"`` -> count; the last bin includes its upper edge. Labels get as many
    significant digits as it takes to tell the bins apart."""
    for digits in range(3, 18):
        labels = [
            f"{_label(edges[i], digits)}–{_label(edges[i + 1], digits)}"
            for i in range(len(edges) - 1)
        ]
        if len(set(labels)) == len(labels):
            break
    out = dict.fromkeys(labels, 0)
    for value, c in counts.items():
        i = next((j for j in range(len(edges) - 2) if value < edges[j + 1]), len(edges) - 2)
        out[labels[i]] += c
    return out
