"""Magpie instruction quality, solvability: Oasis' solvability dimension judged on the text alone."""

from __future__ import annotations

from mmrecipe.ops.judge import InstructionJudge
from mmrecipe.ops.magpie.prompts import TEXT_SOLVABILITY_PROMPT
from mmrecipe.registry import register_op


@register_op("magpie_solvability")
class MagpieSolvability(InstructionJudge):
    __doc__ = InstructionJudge.__doc__.replace(
        "One of Oasis' four instruction-quality dimensions, with its own rubric.",
        "Magpie instruction quality, solvability (Oasis' rubric for a text-only instruction), "
        "scored 1-5 into ``scores.solvability``; no image is sent.",
        1,
    )

    dimension = "solvability"
    default_prompt = TEXT_SOLVABILITY_PROMPT
    default_use_images = False
