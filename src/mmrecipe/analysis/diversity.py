"""Lexical diversity: the type-token ratio (TTR) of instructions and responses.

The corpus TTR (distinct words / all words, the Oasis paper's Tab. 7 definition) falls as a
corpus grows, so it only compares corpora of equal size. The moving-average TTR (MATTR,
Covington & McFall 2010) averages the TTR of every window of ``window`` consecutive words over
the concatenated texts, and does not depend on corpus size. Both are streaming: MATTR keeps one
window, the corpus TTR keeps the set of distinct words.
"""

from __future__ import annotations

from collections import deque
from typing import Any

DEFAULT_WINDOW = 1000


class TypeTokenRatio:
    """Corpus TTR and MATTR over a stream of (lower-cased) words."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self.types: set[str] = set()
        self.tokens = 0
        self._win: deque[str] = deque()
        self._win_counts: dict[str, int] = {}
        self._distinct_sum = 0  # sum over full windows of their distinct words
        self._windows = 0

    def add(self, words: list[str]) -> None:
        # the hot loop of the analysis: locals and a plain dict, no Counter
        win, counts, size, types = self._win, self._win_counts, self.window, self.types
        distinct, total, windows = len(counts), self._distinct_sum, self._windows
        for word in words:
            w = word.lower()
            types.add(w)
            win.append(w)
            c = counts.get(w, 0)
            counts[w] = c + 1
            if not c:
                distinct += 1
            if len(win) > size:
                old = win.popleft()
                c = counts[old] - 1
                if c:
                    counts[old] = c
                else:
                    del counts[old]
                    distinct -= 1
            if len(win) == size:
                total += distinct
                windows += 1
        self.tokens += len(words)
        self._distinct_sum, self._windows = total, windows

    def result(self) -> dict[str, Any]:
        ttr = len(self.types) / self.tokens if self.tokens else None
        if self._windows:
            mattr = self._distinct_sum / (self._windows * self.window)
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
