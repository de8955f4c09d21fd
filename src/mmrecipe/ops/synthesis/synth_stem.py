"""Source op: STEM diagrams beyond plane geometry, answers computed (sympy, exact fractions)."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.registry import register_op
from mmrecipe.synth.source_op import SynthSourceOp

STEM_KINDS = ("function_plot", "analytic_geometry", "solid_geometry", "stats_chart")


@register_op("synth_stem")
class SynthStem(SynthSourceOp):
    """Function plots, analytic geometry, solid geometry and statistics charts, mixed by ratio.

    Each question is answered from the ground truth (the function's exact parameters, the grid
    points, the solid's dimensions, the data) and ``synth_verify`` re-derives it.

    Args:
        generators: kind -> ratio over function_plot, analytic_geometry, solid_geometry,
            stats_chart (default: all four, equal shares)
        num_samples: how many samples to make
        seed: the same seed gives byte-identical samples
        difficulty: level 1-3 (more function families, shapes, solids and chart kinds)
        max_difficulty: when set, each sample draws its level in difficulty..max_difficulty
    """

    def __init__(
        self,
        generators: dict[str, float] | None = None,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: int = 1,
        max_difficulty: int | None = None,
    ) -> None:
        weights = generators if generators is not None else dict.fromkeys(STEM_KINDS, 1.0)
        other = sorted(set(weights) - set(STEM_KINDS))
        if other:
            raise ConfigError(
                f"synth_stem: {', '.join(other)} not a STEM generator (use synth_mix); "
                f"known: {', '.join(STEM_KINDS)}"
            )
        self._configure(weights, num_samples, seed, difficulty, max_difficulty)
