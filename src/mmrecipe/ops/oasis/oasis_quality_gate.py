"""Oasis step 3, the decision: apply the paper's thresholds to the four stored quality scores."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.judge import SCORE_MAX, SCORE_MIN
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("oasis_quality_gate")
class OasisQualityGate(FilterOp):
    """Keep instructions whose stored scores pass every threshold; no model is called.

    The paper keeps hallucination = 5 and nonsense = 5 ("any hallucination or nonsense could
    lead to misleading training"), and solvability >= 3, clarity >= 3 with solvability +
    clarity >= 7. Set a threshold to null to switch that check off. Rejects name the first
    failed check (``hallucination``, ``nonsense``, ``low_solvability``, ``low_clarity``,
    ``low_solvability_plus_clarity``; every failed check is in the detail), or
    ``missing_score`` when a checked score was never measured (its judge step is missing).

    Args:
        hallucination_min: lowest hallucination score kept (paper: 5)
        nonsense_min: lowest nonsense score kept (paper: 5)
        solvability_min: lowest solvability score kept (paper: 3)
        clarity_min: lowest clarity score kept (paper: 3)
        solvability_clarity_sum_min: lowest solvability + clarity kept (paper: 7)
    """

    def __init__(
        self,
        hallucination_min: int | None = 5,
        nonsense_min: int | None = 5,
        solvability_min: int | None = 3,
        clarity_min: int | None = 3,
        solvability_clarity_sum_min: int | None = 7,
    ) -> None:
        self.minimums = {
            "hallucination": hallucination_min,
            "nonsense": nonsense_min,
            "solvability": solvability_min,
            "clarity": clarity_min,
        }
        for name, value in self.minimums.items():
            if value is not None and not SCORE_MIN <= value <= SCORE_MAX:
                raise ConfigError(f"oasis_quality_gate: {name}_min must be in 1..5, got {value}")
        self.sum_min = solvability_clarity_sum_min
        checked = {n for n, v in self.minimums.items() if v is not None}
        if self.sum_min is not None:
            checked |= {"solvability", "clarity"}
        self.reads = tuple(f"scores.{n}" for n in sorted(checked))

    def score(self, samples: list[Sample]) -> None:
        """Nothing to measure: the judges stored the scores."""

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        needed = [r.removeprefix("scores.") for r in self.reads]
        missing = [n for n in needed if not isinstance(sample.scores.get(n), int | float)]
        if missing:
            return ("missing_score", f"no {', '.join(missing)} score: add its judge step")
        failed: list[tuple[str, str]] = []
        for name, minimum in self.minimums.items():
            if minimum is not None and sample.scores[name] < minimum:
                reason = name if name in ("hallucination", "nonsense") else f"low_{name}"
                failed.append((reason, f"{name} {sample.scores[name]:g} < {minimum}"))
        if self.sum_min is not None:
            total = sample.scores["solvability"] + sample.scores["clarity"]
            if total < self.sum_min:
                failed.append(
                    (
                        "low_solvability_plus_clarity",
                        f"solvability + clarity {total:g} < {self.sum_min}",
                    )
                )
        if not failed:
            return None
        return (failed[0][0], "; ".join(detail for _, detail in failed))
