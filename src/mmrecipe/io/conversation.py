"""Conversions between mmrecipe messages and the role vocabularies of common formats."""

from __future__ import annotations

from typing import Any

LLAVA_TO_ROLE = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
    "observation": "tool",
    "function_call": "assistant",
}
ROLE_TO_LLAVA = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}


def from_llava(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """LLaVA turns as messages; consecutive turns of one speaker are merged into one."""
    from mmrecipe.io.layout import content_text, merge_image_only_turns

    out = []
    for turn in conversations:
        if not isinstance(turn, dict):
            raise ValueError(f"conversation turn is {type(turn).__name__}, not an object")
        speaker = str(turn.get("from", "human")).lower()
        role = LLAVA_TO_ROLE.get(speaker)
        if role is None:
            raise ValueError(f"unknown speaker {speaker!r} in conversations")
        out.append({"role": role, "content": content_text(turn.get("value"))})
    return merge_image_only_turns(out)


def to_llava(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"from": ROLE_TO_LLAVA.get(m["role"], m["role"]), "value": text_of(m)} for m in messages
    ]


def text_of(message: dict[str, Any]) -> str:
    """The text of a message whose content is a string or a list of OpenAI-style parts."""
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p, dict))
