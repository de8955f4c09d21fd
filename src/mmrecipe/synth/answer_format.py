"""Does an answer take the form its question asks for?

A verifier proves the value right; a reviewer also rejects ``12.2`` under "Round to two decimal
places" or ``Increase.`` under "Answer 'increase' or 'decrease'". These rules read the format a
question states and check the answer against it, for every generator alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

_NUMBER = r"-?\d+(?:\.\d+)?"


def _two_decimals(answer: str) -> str | None:
    numbers = re.findall(_NUMBER, answer.replace(",", ""))
    if not numbers:
        return f"no number in {answer!r}"
    last = numbers[-1]
    if "." not in last or len(last.split(".")[1]) != 2:
        return f"asked for two decimal places, answered {last!r}"
    return None


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(answer: str) -> str | None:
        if answer.strip() not in choices:
            return f"asked for one of {', '.join(map(repr, choices))}, answered {answer!r}"
        return None

    return check


def _point(answer: str) -> str | None:
    if not re.fullmatch(rf"\(\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\)", answer.strip()):
        return f"asked for (x, y), answered {answer!r}"
    return None


def _json(answer: str) -> str | None:
    try:
        json.loads(answer)
    except ValueError:
        return f"asked for JSON, answered {answer[:60]!r}"
    return None


def _comma_numbers(answer: str) -> str | None:
    if not re.fullmatch(r"\d+(?:, \d+)*", answer.strip()):
        return f"asked for comma-separated numbers, answered {answer[:60]!r}"
    return None


def _moves(answer: str) -> str | None:
    if not re.fullmatch(r"[UDLR](?: [UDLR])*", answer.strip()):
        return f"asked for U/D/L/R moves separated by spaces, answered {answer[:60]!r}"
    return None


def _interval(answer: str) -> str | None:
    if not re.fullmatch(r"-?\d+-\d+", answer.strip()):
        return f"asked for an interval as low-high, answered {answer!r}"
    return None


def _number(answer: str) -> str | None:
    if not re.search(_NUMBER, answer):
        return f"asked for a number, answered {answer!r}"
    return None


#: (pattern in the question, check of the answer)
RULES: list[tuple[re.Pattern[str], Callable[[str], str | None]]] = [
    (re.compile(r"two decimal", re.I), _two_decimals),
    (re.compile(r"Answer 'increase' or 'decrease'"), _one_of("increase", "decrease")),
    (re.compile(r"Answer as \(x, y\)"), _point),
    (re.compile(r"Answer 'increasing' or 'decreasing'"), _one_of("increasing", "decreasing")),
    (re.compile(r"Answer 'positive' or 'negative'"), _one_of("positive", "negative")),
    (re.compile(r"Answer 'inside', 'on' or 'outside'"), _one_of("inside", "on", "outside")),
    (re.compile(r"Answer as low-high"), _interval),
    (re.compile(r"\bJSON\b"), _json),
    (re.compile(r"piece numbers|which piece goes", re.I), _comma_numbers),
    (re.compile(r"U/D/L/R|U \(up\)|U, D, L and R"), _moves),
    (re.compile(r"in degrees", re.I), _number),
]


def format_problem(question: str, answer: str) -> str | None:
    """Why ``answer`` is not in the form ``question`` asks for; None when it is (or no rule
    applies)."""
    for pattern, check in RULES:
        if pattern.search(question):
            problem = check(answer)
            if problem is not None:
                return problem
    return None
