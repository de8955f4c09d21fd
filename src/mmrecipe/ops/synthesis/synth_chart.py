"""Source op: chart images with value, comparison, extrema, trend, arithmetic and table QA."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
from mmrecipe.synth.answer_style import AnswerStyle
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_chart")
class SynthChart(SynthSourceOp):
    """Synthesize charts (matplotlib) whose answers are right by construction.

    Args:
        num_samples: how many samples to make
        seed: base seed; sample i depends only on (seed, i) and the other params
        difficulty: 1 (few bars, integers) to 3 (many series, decimals, log axes, hidden labels)
        chart_types: subset of bar, hbar, grouped_bar, stacked_bar, line, pie, scatter (all)
        tasks: subset of value, compare, extrema, trend, difference, sum, ratio, to_csv,
            to_markdown, coordinates (all)
        answer_style: how the reply gives the answer: sentence (prose; the worked solution
            when it states the answer), final_line (the answer alone on the last line) or
            boxed (The answer is $\\boxed{X}$.); in fields.answer_style
    """

    generator_kind = "chart"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        chart_types: list[str] | None = None,
        tasks: list[str] | None = None,
        answer_style: AnswerStyle = "sentence",
    ) -> None:
        super().__init__(
            num_samples,
            seed,
            difficulty,
            {"chart_types": chart_types, "tasks": tasks},
            answer_style=answer_style,
        )
