"""Oasis instruction quality control, hallucination: does what the instruction says about the image match the image?"""

from __future__ import annotations

from mmrecipe.ops.judge import InstructionJudge
from mmrecipe.ops.oasis.prompts import HALLUCINATION_PROMPT
from mmrecipe.registry import register_op


@register_op("oasis_hallucination")
class OasisHallucination(InstructionJudge):
    __doc__ = InstructionJudge.__doc__.replace(
        "One of Oasis' four instruction-quality dimensions, with its own rubric.",
        "Oasis instruction quality, hallucination: does what the instruction says about the image match the image? Scored 1-5 into "
        "``scores.hallucination`` with its own rubric.",
        1,
    )

    dimension = "hallucination"
    default_prompt = HALLUCINATION_PROMPT
    default_use_images = True
