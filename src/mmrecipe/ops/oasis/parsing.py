"""Reading the Oasis replies: categorizer lines and refined captions (``[[k]]`` scores and
NLLs, which other families read too, are in :mod:`mmrecipe.replies`).

Everything here is pure and total: any string in, a result out, never an exception, because the
text comes from a model and may be anything.
"""

from __future__ import annotations

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


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        return text[1:-1].strip()
    return text
