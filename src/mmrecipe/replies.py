"""Reading model replies every family shares: a judge's ``[[k]]`` score and a response's mean
negative log-likelihood (moved here from the Oasis parsers when the ops were grouped by family).

Everything here is pure and total: any string in, a result out, never an exception, because the
text comes from a model and may be anything.
"""

from __future__ import annotations

import math
import re

_BRACKET_SCORE = re.compile(r"\[\[\s*([+-]?\d+(?:\.\d+)?)\s*\]\]")
_OUT_OF = re.compile(r"(?:/|\bout of\b|\bof\b)\s*\d+(?:\.\d+)?", re.I)
_INTEGER = re.compile(r"(?<![\d.])\d+(?![\d.])")


def parse_score(reply: str, low: int = 1, high: int = 5) -> int | None:
    """The score in a judge's reply: the last ``[[k]]``, else the last integer in ``low..high``.

    A last ``[[k]]`` out of range (``[[7]]``, ``[[3.5]]``) means the judge broke the scale: None,
    not a guess from other numbers. "4/5" and "4 out of 5" count as 4. None when nothing fits.
    """
    text = reply or ""
    brackets = _BRACKET_SCORE.findall(text)
    if brackets:
        value = float(brackets[-1])
        if value.is_integer() and low <= value <= high:
            return int(value)
        return None
    candidates = [int(m) for m in _INTEGER.findall(_OUT_OF.sub(" ", text))]
    in_range = [v for v in candidates if low <= v <= high]
    return in_range[-1] if in_range else None


def mean_nll(token_logprobs: list[float | None]) -> float | None:
    """Mean negative log-likelihood per token (None without tokens): lower = more confident.
    A missing logprob (a ``-inf`` stored as null in strict JSON) counts as impossible: inf."""
    if not token_logprobs:
        return None
    return -sum(-math.inf if v is None else v for v in token_logprobs) / len(token_logprobs)
