"""Length distributions of instructions and responses, in words and in characters.

Exact and streaming: only a counter of lengths is kept (a few thousand distinct values even
for millions of samples), from which mean, standard deviation and histograms are computed.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from mmrecipe.analysis.text import WORDS_DEFINITION, words

HISTOGRAM_BINS = 30


class LengthDistribution:
    """A stream of integer lengths summarised as mean, std, percentiles and a histogram."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    def add(self, length: int) -> None:
        self.counts[length] += 1

    def result(self) -> dict[str, Any]:
        n = sum(self.counts.values())
        if n == 0:
            return {"mean": None, "std": None, "count": 0, "histogram": {"bins": [], "counts": []}}
        mean = sum(v * c for v, c in self.counts.items()) / n
        var = sum(c * (v - mean) ** 2 for v, c in self.counts.items()) / n
        return {
            "mean": round(mean, 4),
            "std": round(math.sqrt(var), 4),
            "count": n,
            "min": min(self.counts),
            "median": self.percentile(50),
            "p99": self.percentile(99),
            "max": max(self.counts),
            "histogram": self.histogram(),
        }

    def percentile(self, q: float) -> int:
        """The smallest length with at least ``q`` percent of the samples at or below it."""
        n = sum(self.counts.values())
        target = math.ceil(n * q / 100)
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen >= max(target, 1):
                return value
        return max(self.counts)

    def histogram(self) -> dict[str, list[int]]:
        """Equal-width integer bins from the minimum up to the 99th percentile; one last bin
        holds the long tail up to the maximum so outliers do not squash the picture.

        ``bins`` are edges (len(counts) + 1); a bin holds ``edges[i] <= length < edges[i+1]``.
        """
        lo, hi, top = min(self.counts), self.percentile(99), max(self.counts)
        width = max(1, math.ceil((hi + 1 - lo) / HISTOGRAM_BINS))
        edges = [*range(lo, hi + 1, width), lo + width * math.ceil((hi + 1 - lo) / width)]
        if top >= edges[-1]:
            edges.append(top + 1)
        counts = [0] * (len(edges) - 1)
        for value, c in self.counts.items():
            for i in range(len(counts)):
                if value < edges[i + 1]:
                    counts[i] += c
                    break
        return {"bins": edges, "counts": counts}


class TextLengths:
    """Lengths of one kind of text (instructions or responses) in words and characters."""

    def __init__(self) -> None:
        self.words = LengthDistribution()
        self.chars = LengthDistribution()

    def add(self, text: str, tokens: list[str] | None = None) -> None:
        self.words.add(len(tokens if tokens is not None else words(text)))
        self.chars.add(len(text))

    def result(self) -> dict[str, Any]:
        return {
            "words": self.words.result(),
            "chars": self.chars.result(),
            "words_definition": WORDS_DEFINITION,
        }
