"""The instruction and answer of a sample, from its fields or from an existing conversation."""

from __future__ import annotations

from mmrecipe.io.conversation import text_of
from mmrecipe.sample import Sample


def clean(text: str) -> str:
    """Turn text without ``<image>`` placeholders and surrounding blanks."""
    return text.replace("<image>", " ").strip()


def user_turns(sample: Sample) -> list[str]:
    return [clean(text_of(m)) for m in sample.messages if m.get("role") == "user"]


def assistant_turns(sample: Sample) -> list[str]:
    return [clean(text_of(m)) for m in sample.messages if m.get("role") == "assistant"]


def instruction_of(sample: Sample) -> str:
    """``fields.instruction`` when set, else every user turn of the conversation, in order."""
    value = sample.fields.get("instruction")
    if isinstance(value, str) and value.strip():
        return value
    return "\n\n".join(t for t in user_turns(sample) if t)


def answer_of(sample: Sample) -> str:
    """``fields.answer`` when set, else every assistant turn of the conversation, in order."""
    value = sample.fields.get("answer")
    if isinstance(value, str) and value.strip():
        return value
    return "\n\n".join(t for t in assistant_turns(sample) if t)
