"""Magpie instruction quality, nonsense: Oasis' nonsense dimension judged on the text alone."""

from __future__ import annotations

from mmrecipe.ops.judge import InstructionJudge
from mmrecipe.ops.magpie.prompts import TEXT_NONSENSE_PROMPT
from mmrecipe.registry import register_op


@register_op("magpie_nonsense")
class MagpieNonsense(InstructionJudge):
    __doc__ = InstructionJudge.__doc__.replace(
        "One of Oasis' four instruction-quality dimensions, with its own rubric.",
        "Magpie instruction quality, nonsense (Oasis' rubric for a text-only instruction), "
        "scored 1-5 into ``scores.nonsense``; no image is sent.",
        1,
    )

    dimension = "nonsense"
    default_prompt = TEXT_NONSENSE_PROMPT
    default_use_images = False
