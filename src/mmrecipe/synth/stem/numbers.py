"""Exact answers and how they are written: integers bare, anything else to two decimals.

Every STEM generator computes its answer exactly (sympy or fractions) and writes it the way the
question asks; verification recomputes the exact value and compares with the same tolerance
as the written form (half a unit of the last decimal).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

ROUND = " Round to two decimal places."
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def is_whole(value: float) -> bool:
    return abs(value - round(value)) < 1e-9


def written(value: Any) -> tuple[str, str]:
    """``(answer, clause)``: ``"7", ""`` for an integer value, ``"2.45", ROUND`` otherwise."""
    v = float(value)
    if is_whole(v):
        return str(round(v)), ""
    return f"{v:.2f}", ROUND


def check_number(expected: Any, answer: str) -> str | None:
    """None when the last number of ``answer`` is ``expected`` as the question asked it."""
    found = _NUMBER.findall(answer.replace(",", "").replace("−", "-"))
    if not found:
        return f"no number in answer {answer!r}"
    got, want = float(found[-1]), float(expected)
    tolerance = 1e-9 if is_whole(want) else 0.005 + 1e-9
    if abs(got - want) > tolerance:
        return f"answer {got} but the ground truth gives {want:.4f}"
    return None


def check_word(expected: str, answer: str) -> str | None:
    if answer.strip().strip(".").lower() != expected.lower():
        return f"expected {expected!r}, got {answer!r}"
    return None


def check_value(expected: Any, answer: str) -> str | None:
    """A word answer compared as a word, anything else as a number."""
    if isinstance(expected, str):
        return check_word(expected, answer)
    return check_number(expected, answer)


def frac(value: Any) -> Fraction:
    """A ground-truth number (int, or ``[numerator, denominator]``) as an exact fraction."""
    if isinstance(value, list):
        return Fraction(int(value[0]), int(value[1]))
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer or [num, den], got {value!r}")
    return Fraction(value)


def pair(value: Fraction) -> int | list[int]:
    """An exact fraction as it is stored in ground truth (JSON has no fractions)."""
    return value.numerator if value.denominator == 1 else [value.numerator, value.denominator]
