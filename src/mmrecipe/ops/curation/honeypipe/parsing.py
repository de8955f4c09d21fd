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
