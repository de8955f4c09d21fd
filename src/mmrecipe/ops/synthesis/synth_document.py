"""Source op: document pages and scene text with word boxes, OCR and reading targets."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
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
    """

    generator_kind = "document"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        modes: list[str] | None = None,
        tasks: list[str] | None = None,
    ) -> None:
        super().__init__(num_samples, seed, difficulty, {"modes": modes, "tasks": tasks})
