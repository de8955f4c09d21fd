"""Oasis instruction quality control, nonsense: is the instruction grammatical, coherent and meaningful (text only)?"""

from __future__ import annotations

from mmrecipe.ops.judge import InstructionJudge
from mmrecipe.ops.oasis.prompts import NONSENSE_PROMPT
from mmrecipe.registry import register_op


@register_op("oasis_nonsense")
class OasisNonsense(InstructionJudge):
    __doc__ = InstructionJudge.__doc__.replace(
        "One of Oasis' four instruction-quality dimensions, with its own rubric.",
        "Oasis instruction quality, nonsense: is the instruction grammatical, coherent and meaningful (text only)? Scored 1-5 into "
        "``scores.nonsense`` with its own rubric.",
        1,
    )

    dimension = "nonsense"
    default_prompt = NONSENSE_PROMPT
    default_use_images = False
