"""Oasis instruction quality control, solvability: does the image provide all the information needed to answer the instruction comprehensively?"""

from __future__ import annotations

from mmrecipe.ops.judge import InstructionJudge
from mmrecipe.ops.oasis.prompts import SOLVABILITY_PROMPT
from mmrecipe.registry import register_op


@register_op("oasis_solvability")
class OasisSolvability(InstructionJudge):
    __doc__ = InstructionJudge.__doc__.replace(
        "One of Oasis' four instruction-quality dimensions, with its own rubric.",
        "Oasis instruction quality, solvability: does the image provide all the information needed to answer the instruction comprehensively? Scored 1-5 into "
        "``scores.solvability`` with its own rubric.",
        1,
    )

    dimension = "solvability"
    default_prompt = SOLVABILITY_PROMPT
    default_use_images = True
