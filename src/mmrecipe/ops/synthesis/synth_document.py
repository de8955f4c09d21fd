"""Source op: document pages and scene text with word boxes, OCR and reading targets."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
from mmrecipe.synth.answer_style import AnswerStyle
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_document")
class SynthDocument(SynthSourceOp):
    """Synthesize pages and scene text (on scikit-image's bundled photos) with every word's
    pixel box in ``fields.words``.

    Args:
        num_samples: how many samples to make
        seed: base seed; sample i depends only on (seed, i) and the other params
        difficulty: 1 (large clean type) to 3 (small type, rotation, blur, noise)
        modes: subset of page, scene
        tasks: subset of ocr, read_field, word_at_box, grounded_ocr
        answer_style: how the reply gives the answer: sentence (prose; the worked solution
            when it states the answer), final_line (the answer alone on the last line) or
            boxed (The answer is $\\boxed{X}$.); in fields.answer_style
    """

    generator_kind = "document"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        modes: list[str] | None = None,
        tasks: list[str] | None = None,
        answer_style: AnswerStyle = "sentence",
    ) -> None:
        super().__init__(
            num_samples,
            seed,
            difficulty,
            {"modes": modes, "tasks": tasks},
            answer_style=answer_style,
        )
