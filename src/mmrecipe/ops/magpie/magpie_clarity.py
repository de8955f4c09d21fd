"""Magpie instruction quality, clarity: Oasis' clarity dimension judged on the text alone."""

from __future__ import annotations

from mmrecipe.ops.judge import InstructionJudge
from mmrecipe.ops.magpie.prompts import TEXT_CLARITY_PROMPT
from mmrecipe.registry import register_op


@register_op("magpie_clarity")
class MagpieClarity(InstructionJudge):
    __doc__ = InstructionJudge.__doc__.replace(
        "One of Oasis' four instruction-quality dimensions, with its own rubric.",
        "Magpie instruction quality, clarity (Oasis' rubric for a text-only instruction), "
        "scored 1-5 into ``scores.clarity``; no image is sent.",
        1,
    )

    dimension = "clarity"
    default_prompt = TEXT_CLARITY_PROMPT
    default_use_images = False
