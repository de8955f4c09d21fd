"""Lexical diversity: the type-token ratio (TTR) of instructions and responses.

The corpus TTR (distinct words / all words, the Oasis paper's Tab. 7 definition) falls as a
corpus grows, so it only compares corpora of equal size. The moving-average TTR (MATTR,
Covington & McFall 2010) averages the TTR of every window of ``window`` consecutive words over
the concatenated texts, and does not depend on corpus size. Both are streaming: MATTR keeps one
window, the corpus TTR keeps the set of distinct words.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

DEFAULT_WINDOW = 1000


class TypeTokenRatio:
    """Corpus TTR and MATTR over a stream of (lower-cased) words."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self.types: set[str] = set()
        self.tokens = 0
        self._win: deque[str] = deque()
        self._win_counts: Counter[str] = Counter()
        self._ratio_sum = 0.0
        self._windows = 0

    def add(self, words: list[str]) -> None:
        for word in words:
            w = word.lower()
            self.tokens += 1
            self.types.add(w)
            self._win.append(w)
            self._win_counts[w] += 1
            if len(self._win) > self.window:
                old = self._win.popleft()
                self._win_counts[old] -= 1
                if not self._win_counts[old]:
                    del self._win_counts[old]
            if len(self._win) == self.window:
                self._ratio_sum += len(self._win_counts) / self.window
                self._windows += 1

    def result(self) -> dict[str, Any]:
        ttr = len(self.types) / self.tokens if self.tokens else None
        if self._windows:
            mattr = self._ratio_sum / self._windows
            note = f"mean TTR over {self._windows} windows of {self.window} words"
        else:
            mattr = ttr
            note = f"fewer than {self.window} words: MATTR equals the corpus TTR"
        return {
            "ttr": round(ttr, 6) if ttr is not None else None,
            "types": len(self.types),
            "tokens": self.tokens,
            "mattr": round(mattr, 6) if mattr is not None else None,
            "mattr_window": self.window,
            "mattr_note": note,
        }
