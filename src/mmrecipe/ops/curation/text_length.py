"""Rule filter on conversation length (HoneyPipe-style): too short or too long turns go."""

from __future__ import annotations

from typing import Literal

from mmrecipe.io.conversation import text_of
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("text_length")
class TextLength(FilterOp):
    """Scores the word count of the chosen turns (``scores.<step>_words``) and keeps samples
    within bounds.

    Args:
        role: which turns to measure: user, assistant or all
        min_words: fewer words than this is rejected ("too_short")
        max_words: more words than this is rejected ("too_long"; None: no limit)
    """

    reads = ("messages",)
    writes = ("scores.*",)

    def __init__(
        self,
        role: Literal["user", "assistant", "all"] = "assistant",
        min_words: int = 1,
        max_words: int | None = None,
    ) -> None:
        self.role = role
        self.min_words = min_words
        self.max_words = max_words

    @property
    def score_key(self) -> str:
        return f"{self.name}_words"

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            turns = [m for m in sample.messages if self.role == "all" or m["role"] == self.role]
            sample.scores[self.score_key] = float(
                sum(len(text_of(m).replace("<image>", " ").split()) for m in turns)
            )

    def keep(self, sample: Sample) -> str | None:
        words = sample.scores[self.score_key]
        if words < self.min_words:
            return "too_short"
        if self.max_words is not None and words > self.max_words:
            return "too_long"
        return None
