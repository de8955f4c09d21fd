"""How a synthetic reply gives its final answer: an explicit choice, never an accident.

A generator's worked solution (``rationale``) usually ends by stating the result ("So the length
of AB is 25."); appending the bare value on a line of its own as well repeated it in a third of
the quickstart's replies. The style is set per synthesis op (``answer_style``; per generator
kind in ``synth_mix``) and recorded in ``fields.answer_style``, which ``synth_verify`` reads:

* ``sentence`` (default): the reply reads as prose. The rationale when its last line states the
  answer, else the rationale and "So the answer is X."; the bare answer when there is no
  rationale (a transcription, a table).
* ``final_line``: the rationale, then the answer alone on the last line (for trainers and
  evaluators that parse the last line).
* ``boxed``: the rationale, then "The answer is $\\boxed{X}$." (the math convention that
  parsers extract with balanced braces).
"""

from __future__ import annotations

import re
from typing import Literal

AnswerStyle = Literal["sentence", "final_line", "boxed"]
ANSWER_STYLES: tuple[str, ...] = ("sentence", "final_line", "boxed")
DEFAULT_ANSWER_STYLE = "sentence"


def states(line: str, answer: str) -> bool:
    """Does ``line`` state ``answer`` as a whole value ("is 120°." states 120, "12.20" does
    not state 12)?"""
    value = answer.strip()
    if not value:
        return False
    pattern = rf"(?<![\w.]){re.escape(value)}(?!\w|\.\d)"
    return re.search(pattern, line) is not None


def compose_reply(rationale: str | None, answer: str, style: str) -> str:
    """The assistant turn of a single-turn synthetic item in ``style``."""
    body = rationale.rstrip() if rationale else ""
    if style == "boxed":
        boxed = f"The answer is $\\boxed{{{answer.strip()}}}$."
        return f"{body}\n{boxed}" if body else boxed
    if not body:
        return answer
    if style == "final_line":
        return f"{body}\n{answer}"
    if style != "sentence":
        raise ValueError(f"answer_style must be one of {', '.join(ANSWER_STYLES)}, not {style!r}")
    if "\n" not in answer.strip() and states(body.splitlines()[-1], answer):
        return body
    if "\n" in answer.strip():
        return f"{body}\nThe answer is:\n{answer}"
    return f"{body}\nSo the answer is {answer.strip()}."


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (balanced braces), or None."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed{") - 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None


def reply_problem(reply: str, answer: str, style: str | None) -> str | None:
    """Why ``reply`` does not give ``answer`` in ``style`` (None: it does). No style (samples
    made before styles, interleaved traces): the reply must end with the answer."""
    value, text = answer.strip(), reply.rstrip()
    if style == "boxed":
        found = last_boxed(text)
        if found is None or found.strip() != value:
            return f"the last \\boxed{{}} of the reply is {found!r}, not the answer {value!r}"
        return None
    if style == "sentence":
        if text.strip() == value or text.endswith(value):
            return None
        if "\n" not in value and states(text.splitlines()[-1] if text else "", value):
            return None
        return f"the reply's last sentence does not state the answer {value!r}"
    if not text.endswith(value):
        return f"the last assistant turn does not end with the answer {answer!r}"
    return None
