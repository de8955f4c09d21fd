"""Reading the instruction and the response out of a stored sample, and splitting text into
words in a way that also works for languages written without spaces."""

from __future__ import annotations

import re
from typing import Any

IMAGE_PLACEHOLDER = re.compile(r"<image>\s*")

#: Scripts written without spaces between words: each character counts as one word.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*")

WORDS_DEFINITION = (
    "runs of letters/digits (internal apostrophes kept); each Chinese/Japanese character "
    "counts as one word"
)


def message_text(message: dict[str, Any]) -> str:
    """The text of one chat message, whether ``content`` is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def instruction_and_response(record: dict[str, Any]) -> tuple[str | None, str | None]:
    """First user message (image placeholders stripped) and first assistant message after it.

    ``None`` where the sample has no such message (e.g. a curated image with no conversation).
    """
    instruction: str | None = None
    response: str | None = None
    for message in record.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if instruction is None and role == "user":
            instruction = IMAGE_PLACEHOLDER.sub("", message_text(message)).strip()
        elif instruction is not None and role == "assistant":
            response = message_text(message).strip()
            break
    return instruction, response


def words(text: str) -> list[str]:
    """The words of ``text`` as written (see :data:`WORDS_DEFINITION`)."""
    return WORD_RE.findall(text)
