"""Source op: formulas rendered with matplotlib mathtext, LaTeX recognition targets."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
from mmrecipe.synth.answer_style import AnswerStyle
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_formula")
class SynthFormula(SynthSourceOp):
    """Synthesize formula images whose LaTeX transcription is known exactly.

    Args:
        num_samples: how many samples to make
        seed: base seed; sample i depends only on (seed, i) and the other params
        difficulty: expression depth 1 to 3 (3 also adds blur and noise)
        answer_style: how the reply gives the answer: sentence (prose; the worked solution
            when it states the answer), final_line (the answer alone on the last line) or
            boxed (The answer is $\\boxed{X}$.); in fields.answer_style
    """

    generator_kind = "formula"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        answer_style: AnswerStyle = "sentence",
    ) -> None:
        super().__init__(num_samples, seed, difficulty, answer_style=answer_style)
