"""Oasis instruction quality control, clarity: how precisely does the instruction convey its intent, and does it allow a definitive answer?"""

from __future__ import annotations

from mmrecipe.ops.judge import InstructionJudge
from mmrecipe.ops.oasis.prompts import CLARITY_PROMPT
from mmrecipe.registry import register_op


@register_op("oasis_clarity")
class OasisClarity(InstructionJudge):
    __doc__ = InstructionJudge.__doc__.replace(
        "One of Oasis' four instruction-quality dimensions, with its own rubric.",
        "Oasis instruction quality, clarity: how precisely does the instruction convey its intent, and does it allow a definitive answer? Scored 1-5 into "
        "``scores.clarity`` with its own rubric.",
        1,
    )

    dimension = "clarity"
    default_prompt = CLARITY_PROMPT
    default_use_images = True
