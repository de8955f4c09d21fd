"""Per-turn length bounds over every turn of an existing conversation."""

from __future__ import annotations

from typing import Literal

from mmrecipe.curation.rules import selected_turns, tokens
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("turn_length")
class TurnLength(FilterOp):
    """Scores the shortest and longest chosen turn in words (a CJK character is a word):
    ``scores.<step>_min_words`` and ``scores.<step>_max_words``. Unlike ``text_length`` (a
    total), every turn must be within bounds. Rejects: ``too_short``, ``too_long`` (the detail
    names the turn).

    Args:
        role: which turns: user, assistant or all
        min_words: a shorter turn is rejected
        max_words: a longer turn is rejected (None: no limit)
    """

    reads = ("messages",)
    writes = ("scores.*",)

    def __init__(
        self,
        role: Literal["user", "assistant", "all"] = "all",
        min_words: int = 1,
        max_words: int | None = 2000,
    ) -> None:
        if max_words is not None and min_words > max_words:
            raise ConfigError("turn_length: min_words is larger than max_words")
        self.role = role
        self.min_words = min_words
        self.max_words = max_words

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            counts = [len(tokens(t)) for _, _, t in selected_turns(sample.messages, self.role)]
            sample.scores[f"{self.name}_min_words"] = float(min(counts, default=0))
            sample.scores[f"{self.name}_max_words"] = float(max(counts, default=0))

    def _turn(self, sample: Sample, pick: str) -> str:
        turns = selected_turns(sample.messages, self.role)
        if not turns:
            return "no turn"
        key = [len(tokens(t)) for _, _, t in turns]
        i = key.index(min(key) if pick == "min" else max(key))
        return f"turn {turns[i][0]} ({turns[i][1]})"

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        low = sample.scores[f"{self.name}_min_words"]
        high = sample.scores[f"{self.name}_max_words"]
        if low < self.min_words:
            return ("too_short", f"{self._turn(sample, 'min')}: {low:g} words < {self.min_words}")
        if self.max_words is not None and high > self.max_words:
            return ("too_long", f"{self._turn(sample, 'max')}: {high:g} words > {self.max_words}")
        return None
