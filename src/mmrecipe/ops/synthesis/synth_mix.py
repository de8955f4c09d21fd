"""Source op: a mixture over any registered synthesis generators, by ratio."""

from __future__ import annotations

from mmrecipe.registry import register_op
from mmrecipe.synth.answer_style import AnswerStyle
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_mix")
class SynthMix(SynthSourceOp):
    """Mixes generator kinds (geometry, jigsaw, chart, table, ...) by ratio.

    Each index is assigned to one kind deterministically (a low-discrepancy sequence over the
    ratios), so every prefix of the run - and every shard - holds the kinds in their ratios.
    Unknown kinds fail before anything runs, naming the kinds that are available.

    Args:
        generators: kind -> ratio, e.g. {geometry: 2, maze: 1}; ratios need not sum to 1
        num_samples: how many samples to make in total
        seed: the same seed gives byte-identical samples
        difficulty: level (1-5) handed to every generator
        max_difficulty: when set, each sample draws its level in difficulty..max_difficulty;
            a generator with fewer levels (chart, table, formula, document: 3) gets its top level,
            and ``fields.difficulty`` records the level actually made. A level beyond every
            generator of the mix is refused.
        answer_style: how the reply gives the answer: sentence (prose; the worked solution
            when it states the answer), final_line (the answer alone on the last line) or
            boxed (The answer is $\\boxed{X}$.); in fields.answer_style. One style for
            every kind, or kind -> style (others: sentence); interleaved kinds (jigsaw, maze,
            visual_search, chart_refocus) keep their own trace
    """

    def __init__(
        self,
        generators: dict[str, float],
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: int = 2,
        max_difficulty: int | None = None,
        answer_style: AnswerStyle | dict[str, AnswerStyle] = "sentence",
    ) -> None:
        self._configure(
            generators, num_samples, seed, difficulty, max_difficulty, answer_style=answer_style
        )
