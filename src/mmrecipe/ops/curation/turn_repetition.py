"""Per-turn n-gram repetition: a model stuck in a loop, copy-paste padding."""

from __future__ import annotations

from typing import Literal

from mmrecipe.curation.rules import repetition_ratio, selected_turns, tokens
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("turn_repetition")
class TurnRepetition(FilterOp):
    """Scores the highest word n-gram repetition ratio over the chosen turns
    (``scores.<step>_ratio``: the share of n-grams that occur more than once in their turn,
    Data-Juicer's ``word_repetition_filter`` measure). Rejects: ``repetitive``.

    Args:
        role: which turns: user, assistant or all
        ngram: words per n-gram (Data-Juicer: 10)
        max_ratio: highest ratio kept (Data-Juicer: 0.5)
    """

    reads = ("messages",)
    writes = ("scores.*",)

    def __init__(
        self,
        role: Literal["user", "assistant", "all"] = "all",
        ngram: int = 10,
        max_ratio: float = 0.5,
    ) -> None:
        self.role = role
        self.ngram = ngram
        self.max_ratio = max_ratio

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            turns = selected_turns(sample.messages, self.role)
            ratios = [repetition_ratio(tokens(t), self.ngram) for _, _, t in turns]
            sample.scores[f"{self.name}_ratio"] = round(max(ratios, default=0.0), 4)

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        ratio = sample.scores[f"{self.name}_ratio"]
        if ratio > self.max_ratio:
            return ("repetitive", f"{ratio:.2f} of {self.ngram}-grams repeated > {self.max_ratio}")
        return None
