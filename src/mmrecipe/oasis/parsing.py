"""Reading the judges' replies: categorizer lines, ``[[k]]`` scores and refined captions.

Everything here is pure and total: any string in, a result out, never an exception, because the
text comes from a model and may be anything.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

#: "Instruction:" at the start of a line, tolerating markdown (``**Instruction:**``) and a
#: full-width colon; matched as a prefix, never as a character set (the official code's
#: ``.lstrip('Instruction:')`` also eats the leading "I", "n", "s", ... of the instruction)
_INSTRUCTION = re.compile(r"^[ \t>*_#-]*instruction[ \t*_]*[:：][ \t*_]*", re.I | re.M)
_NO_INSTRUCTION = re.compile(r"\bNO[_ ]?INST(?:RUCTION)?\b", re.I)
#: a line that starts what follows an instruction: its answer, or the categorizer repeating
#: the few-shot pattern
_AFTER_INSTRUCTION = re.compile(
    r"^[ \t>*_#-]*(?:answer|response|solution|output|assistant|explanation|text|reply"
    r"|答案|回答|解答)[ \t*_]*[:：]",
    re.I | re.M,
)
_CAPTION = re.compile(r"^[ \t>*_#-]*caption[ \t*_]*[:：][ \t*_]*", re.I | re.M)
_NOT_CAPTION = re.compile(r"\bNOT[_ ]?CAPTION\b", re.I)
_BRACKET_SCORE = re.compile(r"\[\[\s*([+-]?\d+(?:\.\d+)?)\s*\]\]")
_OUT_OF = re.compile(r"(?:/|\bout of\b|\bof\b)\s*\d+(?:\.\d+)?", re.I)
_INTEGER = re.compile(r"(?<![\d.])\d+(?![\d.])")
_QUOTES = "\"'`“”‘’「」"


@dataclass(frozen=True)
class Category:
    """What the categorizer said: an instruction (with its text), a caption, or nothing usable."""

    kind: Literal["instruction", "caption", "unparseable"]
    instruction: str | None = None


def parse_category(reply: str) -> Category:
    """Read ``Instruction: <text>`` / ``NO_INST`` from a categorizer reply.

    The instruction runs from the prefix to the end of the reply, so multi-line and
    multiple-choice instructions stay whole; a following ``Answer:``-like line (the model did
    not leave the answer out) ends it. ``Instruction: NO_INST`` counts as a caption.
    """
    text = (reply or "").strip()
    match = _INSTRUCTION.search(text)
    if match:
        body = text[match.end() :]
        end = _AFTER_INSTRUCTION.search(body)
        if end and end.start() > 0:
            body = body[: end.start()]
        body = _strip_quotes(body.strip())
        if _NO_INSTRUCTION.fullmatch(body.strip(" .*")):
            return Category("caption")
        if body:
            return Category("instruction", body)
        return Category("unparseable")
    if _NO_INSTRUCTION.search(text):
        return Category("caption")
    return Category("unparseable")


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


def parse_refined_caption(reply: str) -> str | None:
    """``Caption: <text>`` -> the text; ``NOT_CAPTION`` -> ""; anything else -> None."""
    text = (reply or "").strip()
    match = _CAPTION.search(text)
    if match:
        body = _strip_quotes(text[match.end() :].strip())
        if _NOT_CAPTION.fullmatch(body.strip(" .*")):
            return ""
        return body or None
    if _NOT_CAPTION.search(text):
        return ""
    return None


def mean_nll(token_logprobs: list[float | None]) -> float | None:
    """Mean negative log-likelihood per token (None without tokens): lower = more confident.
    A missing logprob (a ``-inf`` stored as null in strict JSON) counts as impossible: inf."""
    if not token_logprobs:
        return None
    return -sum(-math.inf if v is None else v for v in token_logprobs) / len(token_logprobs)


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        return text[1:-1].strip()
    return text
