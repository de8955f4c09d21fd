"""Source op: geometry problems with diagrams, chained rationales and verifiable answers."""

from __future__ import annotations

from mmrecipe.registry import register_op
from mmrecipe.synth.answer_style import AnswerStyle
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_geometry")
class SynthGeometry(SynthSourceOp):
    """Geometry diagrams built step by step (R-CoT GeoChain, MAVIS), questions asked in reverse.

    Args:
        num_samples: how many problems to make
        seed: the same seed gives byte-identical samples
        difficulty: number of chained reasoning steps (1-5)
        max_difficulty: when set, each sample draws its level in difficulty..max_difficulty
        answer_style: how the reply gives the answer: sentence (prose; the worked solution
            when it states the answer), final_line (the answer alone on the last line) or
            boxed (The answer is $\\boxed{X}$.); in fields.answer_style
    """

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: int = 2,
        max_difficulty: int | None = None,
        answer_style: AnswerStyle = "sentence",
    ) -> None:
        self._configure(
            {"geometry": 1.0},
            num_samples,
            seed,
            difficulty,
            max_difficulty,
            answer_style=answer_style,
        )
