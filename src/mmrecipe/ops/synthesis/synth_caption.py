"""Source op: math diagrams with their captions as answers (MAVIS-Caption style alignment data)."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_caption")
class SynthCaption(SynthSourceOp):
    """Diagram -> caption samples: the image of a STEM or geometry problem, "describe the
    diagram", and the caption rebuilt from its ground truth (checked by ``synth_verify``).

    Args:
        num_samples: how many samples to make
        seed: the same seed gives byte-identical samples
        difficulty: level handed to the source generator (1-3)
        sources: subset of function_plot, analytic_geometry, solid_geometry, stats_chart,
            geometry (all)
    """

    generator_kind = "diagram_caption"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        sources: list[str] | None = None,
    ) -> None:
        super().__init__(num_samples, seed, difficulty, {"sources": sources})
