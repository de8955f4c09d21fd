"""Leftover special tokens in any turn: chat-template and tokenizer debris."""

from __future__ import annotations

import re

from mmrecipe.curation.rules import SPECIAL_TOKENS, selected_turns
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_IMAGE = re.compile(r"<image>", re.I)


@register_op("special_tokens")
class SpecialTokens(FilterOp):
    """Counts special tokens (``<|im_end|>``, ``</s>``, ``[INST]``, ``<unk>``, ``<box>``...)
    in every turn into ``scores.<step>_count``; the ``<image>`` placeholder counts only in
    assistant turns (LLaVA puts it in the user turn). Rejects: ``special_tokens`` (the first
    one found and its turn in the detail).

    Args:
        max_count: most special tokens kept
        extra_patterns: more regular expressions that count as special tokens
        allow: tokens that are data here, not debris (e.g. ``<ref>``, ``<box>`` in grounding)
    """

    reads = ("messages",)
    writes = ("scores.*",)

    def __init__(
        self,
        max_count: int = 0,
        extra_patterns: list[str] | None = None,
        allow: list[str] | None = None,
    ) -> None:
        self.max_count = max_count
        self.allow = {t.lower() for t in allow or []}
        self.extra = [re.compile(p) for p in extra_patterns or []]

    def _found(self, sample: Sample) -> list[tuple[int, str]]:
        hits = []
        for index, role, text in selected_turns(sample.messages, "all"):
            body = text if role == "assistant" else _IMAGE.sub(" ", text)
            for pattern in (SPECIAL_TOKENS, *self.extra):
                hits.extend(
                    (index, m.group(0))
                    for m in pattern.finditer(body)
                    if m.group(0).lower() not in self.allow
                )
        return hits

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            sample.scores[f"{self.name}_count"] = float(len(self._found(sample)))

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        count = sample.scores[f"{self.name}_count"]
        if count > self.max_count:
            index, token = self._found(sample)[0]
            return ("special_tokens", f"turn {index} contains {token!r} ({count:g} in all)")
        return None
