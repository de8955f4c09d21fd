"""Source op: rendered tables with lookup, aggregate and markdown/HTML recognition targets."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
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
    """

    generator_kind = "table"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        tasks: list[str] | None = None,
        styles: list[str] | None = None,
    ) -> None:
        super().__init__(num_samples, seed, difficulty, {"tasks": tasks, "styles": styles})
