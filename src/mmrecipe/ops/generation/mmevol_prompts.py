"""MMEvol's evolution and elimination prompts (our own wording, after the paper's three
directions: fine-grained perception, cognitive reasoning, interaction)."""

from __future__ import annotations

from typing import Any

_PAIR = '''
Original question:
"""
{question}
"""
Original answer:
"""
{answer}
"""
Reply with JSON only: {"question": "...", "answer": "..."}'''

EVOLVE: dict[str, str] = {
    "perception": "You evolve visual instructions. Look at the image and rewrite the original "
    "question so that answering it needs finer-grained perception: more specific objects, "
    "attributes (colour, material, count, text), small details, positions and relations that "
    "are really visible in the image. The new question must be answerable from the image "
    "alone. Then answer it correctly." + _PAIR,
    "reasoning": "You evolve visual instructions. Look at the image and rewrite the original "
    "question so that answering it needs more steps of reasoning over what is visible: "
    "combine several visual facts, compare, count, infer a cause or a consequence. The new "
    "question must be answerable from the image. Then answer it correctly, giving the "
    "reasoning steps." + _PAIR,
    "interaction": "You evolve visual instructions. Look at the image and rewrite the original "
    "question into a different kind of instruction about the same image: for example a "
    "multiple-choice question with options, a true-or-false statement to check and explain, a "
    "request to write, plan or advise for the situation shown, or a comparison. It must stay "
    "answerable from the image. Then answer it correctly." + _PAIR,
}

JUDGE = '''You check an evolved visual instruction against its original. Look at the image.
Original question:
"""
{parent_question}
"""
Original answer:
"""
{parent_answer}
"""
Evolved question:
"""
{question}
"""
Evolved answer:
"""
{answer}
"""
Rate two things from 1 to 5.
harder: how much harder the evolved question is than the original (1: not harder or easier,
3: clearly harder, 5: much harder, needing more perception or reasoning).
correct: whether the evolved question is answerable from the image and its answer is correct
(1: wrong or unanswerable, 3: partly right, 5: fully correct and supported by the image).
Reply with JSON only: {"harder": k, "correct": k, "reason": "one sentence"}'''

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "harder": {"type": "integer", "minimum": 1, "maximum": 5},
        "correct": {"type": "integer", "minimum": 1, "maximum": 5},
        "reason": {"type": "string"},
    },
    "required": ["harder", "correct", "reason"],
}
