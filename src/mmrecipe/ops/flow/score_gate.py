"""Thresholds on stored scores, with no model call: re-thresholding a finished run is free."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("score_gate")
class ScoreGate(FilterOp):
    """Keeps samples whose scores are at least their minimums (and at most their maximums).
    Rejects name the first failed score, ``low_<score>`` / ``high_<score>`` (every failure in
    the detail), or ``missing_score`` when a checked score was never measured.

    Args:
        minimums: score name -> lowest value kept
        maximums: score name -> highest value kept
    """

    def __init__(
        self,
        minimums: dict[str, float] | None = None,
        maximums: dict[str, float] | None = None,
    ) -> None:
        self.minimums = dict(minimums or {})
        self.maximums = dict(maximums or {})
        if not self.minimums and not self.maximums:
            raise ConfigError("score_gate: give minimums and/or maximums")
        self.reads = tuple(f"scores.{n}" for n in sorted({*self.minimums, *self.maximums}))

    def score(self, samples: list[Sample]) -> None:
        """Nothing to measure: earlier steps stored the scores."""

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        names = sorted({*self.minimums, *self.maximums})
        missing = [n for n in names if not isinstance(sample.scores.get(n), int | float)]
        if missing:
            return (
                "missing_score",
                f"no {', '.join(missing)} score: add the step that measures it",
            )
        failed: list[tuple[str, str]] = []
        for name, low in self.minimums.items():
            if sample.scores[name] < low:
                failed.append((f"low_{name}", f"{name} {sample.scores[name]:g} < {low:g}"))
        for name, high in self.maximums.items():
            if sample.scores[name] > high:
                failed.append((f"high_{name}", f"{name} {sample.scores[name]:g} > {high:g}"))
        if not failed:
            return None
        return (failed[0][0], "; ".join(d for _, d in failed))
