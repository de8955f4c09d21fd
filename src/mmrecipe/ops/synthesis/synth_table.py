"""Source op: rendered tables with lookup, aggregate and markdown/HTML recognition targets."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
from mmrecipe.synth.answer_style import AnswerStyle
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_table")
class SynthTable(SynthSourceOp):
    """Synthesize table images (PIL) with answers computed from the table; cell boxes in
    ``fields.cells``.

    Args:
        num_samples: how many samples to make
        seed: base seed; sample i depends only on (seed, i) and the other params
        difficulty: 1 (3-5 rows) to 3 (8-12 rows, 4-5 value columns, captions)
        tasks: subset of lookup, sum, mean, argmax, argmin, count_above, to_markdown, to_html
        styles: subset of grid, rows, zebra, minimal
        answer_style: how the reply gives the answer: sentence (prose; the worked solution
            when it states the answer), final_line (the answer alone on the last line) or
            boxed (The answer is $\\boxed{X}$.); in fields.answer_style
    """

    generator_kind = "table"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        tasks: list[str] | None = None,
        styles: list[str] | None = None,
        answer_style: AnswerStyle = "sentence",
    ) -> None:
        super().__init__(
            num_samples,
            seed,
            difficulty,
            {"tasks": tasks, "styles": styles},
            answer_style=answer_style,
        )
