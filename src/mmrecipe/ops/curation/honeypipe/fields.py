"""Filling ``fields.instruction`` / ``fields.answer`` from an existing conversation, so every
prompted HoneyPipe op reads datasets that only have ``messages`` (LLaVA, ShareGPT)."""

from __future__ import annotations

from mmrecipe.curation.turns import answer_of, instruction_of
from mmrecipe.sample import Sample

QA_FIELDS = ("fields.instruction", "fields.answer")


def fill_qa(samples: list[Sample]) -> None:
    """Set ``instruction`` and ``answer`` from the conversation where they are not set yet
    (every user turn / every assistant turn of a multi-turn conversation, in order)."""
    for sample in samples:
        if sample.rejected:
            continue
        if not _text(sample.fields.get("instruction")):
            sample.fields["instruction"] = instruction_of(sample)
        if not _text(sample.fields.get("answer")):
            sample.fields["answer"] = answer_of(sample)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def single_turn(sample: Sample) -> bool:
    """One user question and one answer (system turns aside): what CoT enrichment rewrites."""
    roles = [m.get("role") for m in sample.messages if m.get("role") != "system"]
    return roles == ["user", "assistant"]
