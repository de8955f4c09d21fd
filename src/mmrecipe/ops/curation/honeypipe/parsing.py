"""Defensive parsers of HoneyPipe model replies, and the answer-format constraints that CoT
enrichment removes."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\[\[\s*([A-Za-z][A-Za-z _/&-]{0,60}?)\s*\]\]")
_FINAL = re.compile(r"final\s+answer\s*(?:is)?\s*[:：]?\s*(.+)", re.I)
_BOXED = re.compile(r"\\boxed\{([^{}]{1,200})\}")

#: sentences that ask for a bare answer; CoT enrichment drops them (HoneyPipe)
_CONSTRAINTS = (
    re.compile(
        r"\s*Answer the question (?:using|with) a single (?:word|number) or (?:a )?phrase\.?", re.I
    ),
    re.compile(
        r"\s*(?:Please )?(?:answer|respond|reply)(?: the question)? (?:directly|briefly|concisely|in (?:one|a single) word)\.?",
        re.I,
    ),
    re.compile(
        r"\s*(?:Please )?(?:answer|respond|reply) (?:with|using) (?:only )?(?:one|a single) (?:word|number|letter|phrase)\.?",
        re.I,
    ),
    re.compile(r"\s*(?:Do not|Don't) (?:explain|give (?:any )?(?:reasons|explanations?))\.?", re.I),
)
_LETTER_DIRECTLY = re.compile(
    r"(Answer with the option'?s letter from the given choices) directly\.?", re.I
)


def bracket_token(reply: str, choices: list[str]) -> str | None:
    """The last ``[[TOKEN]]`` of a reply that is one of ``choices`` (case-insensitive), else
    None: a reply naming several or none is not guessed from."""
    wanted = {c.lower(): c for c in choices}
    found = [m.group(1).strip().lower() for m in _TOKEN.finditer(reply or "")]
    for token in reversed(found):
        if token in wanted:
            return wanted[token]
    return None


def final_answer(cot: str) -> str:
    """The final answer at the end of a chain of thought ("Final answer: ..." or a LaTeX
    ``\\boxed{}``), or "" when there is none."""
    text = cot or ""
    finals = _FINAL.findall(text)
    if finals:
        return finals[-1].strip().strip("*").strip()
    boxed = _BOXED.findall(text)
    return boxed[-1].strip() if boxed else ""


def strip_constraints(instruction: str) -> str:
    """The instruction without "answer directly / with a single word" constraints."""
    text = _LETTER_DIRECTLY.sub(r"\1.", instruction)
    for pattern in _CONSTRAINTS:
        text = pattern.sub("", text)
    return text.strip()


#: bounding-box coordinates in an answer: Qwen-VL <box>, Qwen2-VL box tokens, a bracketed
#: list of four numbers (LLaVA / pixel boxes), or "(x1,y1),(x2,y2)"
_BOX = re.compile(
    r"<box>|<\|box_start\|>|"
    r"\[\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*\]|"
    r"\(\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*\)\s*,\s*\(\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*\)"
)
_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*(.*\S)\s*$", re.S)


def has_boxes(text: str) -> bool:
    """Whether an answer holds bounding-box coordinates: detection / grounding output, which
    HoneyPipe passes through without CoT enrichment."""
    return bool(_BOX.search(text or ""))


def think_trace(text: str) -> tuple[str, str] | None:
    """``(reasoning, response)`` of a ``<think>...</think> response`` reply, or None when the
    reply has no closed think block at its start or no response after it."""
    match = _THINK.match(text or "")
    if not match or not match.group(1).strip():
        return None
    return match.group(1).strip(), match.group(2).strip()
