"""Varied wording for fixed-task prompts ("transcribe this formula", "solve this maze").

A task whose question never changes teaches a model one string, and a dataset reviewer sees the
same prompt hundreds of times. Prompts here are composed from independent parts (an opener, the
request, a format clause), each drawn from the item's RNG, so a few alternatives per part give
dozens of phrasings while staying deterministic per ``(seed, kind, index)``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def compose(rng: random.Random, *parts: Sequence[str], **values: object) -> str:
    """One alternative from each part, joined by spaces, with ``{name}`` filled from ``values``.

    An empty alternative ("") drops that part, so optional clauses cost no extra code.
    """
    chosen = [rng.choice(list(alternatives)) for alternatives in parts]
    text = " ".join(c for c in chosen if c)
    return text.format(**values)


def article(word: str) -> str:
    """``a`` or ``an`` for the word that follows (by its first letter's sound, good enough for
    the nouns and headers the generators use)."""
    w = word.strip().lower()
    if not w:
        return "a"
    if w[0] in "aeio" or (w[0] == "u" and not w.startswith(("uni", "use", "usu"))):
        return "an"
    if w.startswith(("hour", "honest", "honou")):
        return "an"
    return "a"
