"""Structured answers: QA pairs asked for as JSON, parsed defensively, turned into turns.

A model asked for ``[{"question": ..., "answer": ...}, ...]`` answers, depending on the
backend, with exactly that (guided decoding, ``json_schema``), with that inside a Markdown
fence, with stray text before or after it, with an object wrapping the list, with LLaVA's own
``Question: ... Answer: ...`` layout, or with garbage. All but the last parse; garbage raises
:class:`QaParseError` and the op rejects the sample with the raw text kept.
"""

from __future__ import annotations

import re
from typing import Any

from mmrecipe.jsonreply import QaParseError as QaParseError
from mmrecipe.jsonreply import json_candidates as _json_candidates
from mmrecipe.jsonreply import parse_json_object as parse_json_object
from mmrecipe.jsonreply import strip_image_tokens as strip_image_tokens
from mmrecipe.prompted import IMAGE

#: guided decoding schema of a list of QA pairs
QA_LIST_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
        "required": ["question", "answer"],
        "additionalProperties": False,
    },
}
#: guided decoding schema of one QA pair
QA_PAIR_SCHEMA: dict[str, Any] = QA_LIST_SCHEMA["items"]

_LABEL = r"^\s*(?:\*\*)?\s*{}\s*\d*\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*"
_Q_LINE = re.compile(_LABEL.format("Q(?:uestion)?"), re.I)
_A_LINE = re.compile(_LABEL.format("A(?:nswer)?"), re.I)
_SEPARATOR = re.compile(r"^\s*={3,}\s*$")
_WRAPPER_KEYS = ("qa", "qa_pairs", "pairs", "questions", "conversations", "conversation", "items")


def _pairs_from_json(value: Any) -> list[dict[str, str]] | None:
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        if "question" in lowered and "answer" in lowered:
            value = [value]
        else:
            inner = next((lowered[k] for k in _WRAPPER_KEYS if k in lowered), None)
            if inner is None:
                lists = [v for v in value.values() if isinstance(v, list)]
                inner = lists[0] if len(lists) == 1 else None
            if inner is None:
                return None
            value = inner
    if not isinstance(value, list):
        return None
    pairs = []
    for item in value:
        if not isinstance(item, dict):
            return None
        lowered = {str(k).lower(): v for k, v in item.items()}
        q, a = lowered.get("question"), lowered.get("answer")
        if not isinstance(q, str) or not isinstance(a, str | int | float) or isinstance(a, bool):
            return None
        q, a = strip_image_tokens(q), strip_image_tokens(str(a))
        if not q or not a:
            return None
        pairs.append({"question": q, "answer": a})
    return pairs or None


def parse_qa_pairs(text: str) -> list[dict[str, str]]:
    """QA pairs from a model answer (see the module docstring); raises :class:`QaParseError`."""
    if not isinstance(text, str) or not text.strip():
        raise QaParseError("empty answer")
    for value in _json_candidates(text):
        pairs = _pairs_from_json(value)
        if pairs:
            return pairs
    pairs = [
        {"question": strip_image_tokens(q), "answer": strip_image_tokens(a)}
        for q, a in _text_pairs(text)
    ]
    pairs = [p for p in pairs if p["question"] and p["answer"]]
    if pairs:
        return pairs
    raise QaParseError("no JSON list of {question, answer} and no Question:/Answer: pairs")


def _text_pairs(text: str) -> list[tuple[str, str]]:
    """``Question: / Answer:`` (or ``Q: / A:``, bold, numbered, ``===`` separated) pairs, line
    by line: linear in the text, whatever a looping model wrote."""
    pairs: list[tuple[str, str]] = []
    question: list[str] | None = None
    answer: list[str] | None = None
    for line in text.splitlines():
        if _SEPARATOR.match(line):
            continue
        if match := _Q_LINE.match(line):
            if question is not None and answer is not None:
                pairs.append(("\n".join(question).strip(), "\n".join(answer).strip()))
            question, answer = [line[match.end() :]], None
        elif question is not None and answer is None and (match := _A_LINE.match(line)):
            answer = [line[match.end() :]]
        elif answer is not None:
            answer.append(line)
        elif question is not None:
            question.append(line)
    if question is not None and answer is not None:
        pairs.append(("\n".join(question).strip(), "\n".join(answer).strip()))
    return pairs


def qa_turns(pairs: list[dict[str, str]], n_images: int) -> list[dict[str, str]]:
    """Pairs as user/assistant turns, ``<image>`` (one per image) only in the first user turn:
    what LLaVA's trainer and LLaMA-Factory require."""
    messages: list[dict[str, str]] = []
    for index, pair in enumerate(pairs):
        question = strip_image_tokens(pair["question"])
        if index == 0 and n_images:
            question = IMAGE * n_images + "\n" + question
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": strip_image_tokens(pair["answer"])})
    return messages


def raw_detail(reason: str, text: str, limit: int = 4000) -> str:
    """A reject detail that keeps the model's raw text (cut when huge)."""
    raw = text if len(text) <= limit else text[:limit] + " …[cut]"
    return f"{reason}; raw answer: {raw}"
