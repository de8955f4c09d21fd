"""Oasis' response quality control by MLLM scoring (an ablation: the paper found it harmful)."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.ops.judge import ScoreJudge
from mmrecipe.ops.oasis.prompts import RESPONSE_RUBRICS
from mmrecipe.registry import register_op


@register_op("oasis_response_score")
class OasisResponseScore(ScoreJudge):
    """Score the response on helpfulness, truthfulness and instruction following (1-5 each,
    one request per dimension, with the image) and keep only full marks.

    Scores land in ``scores.response_<dimension>``; a sample below ``min_score`` on any of
    them is rejected as ``low_response_<dimension>``. The paper scored with Qwen2-VL-72B and
    kept only full marks; the average benchmark score dropped by 1.6%, so ``recipes/oasis.yaml``
    leaves this step disabled.

    Args:
        backend: the MLLM backend
        dimensions: which of helpfulness, truthfulness, instruction_following to score
        min_score: lowest score kept on every dimension (paper: 5, full marks)
        instruction_field: the field holding the instruction
        response_field: the field holding the response
        temperature: sampling temperature (official judges: 0)
        max_tokens: longest answer (official judges: 1024)
    """

    score_prefix = "response_"

    def __init__(
        self,
        backend: str,
        dimensions: list[str] | None = None,
        min_score: int = 5,
        instruction_field: str = "instruction",
        response_field: str = "response",
        temperature: float = 0.0,
        max_tokens: int = 1024,
    ) -> None:
        chosen = dimensions or list(RESPONSE_RUBRICS)
        unknown = [d for d in chosen if d not in RESPONSE_RUBRICS]
        if unknown or not chosen:
            raise ConfigError(
                f"oasis_response_score: unknown dimension(s) {unknown}; "
                f"known: {', '.join(RESPONSE_RUBRICS)}"
            )
        prompts = {
            d: RESPONSE_RUBRICS[d]
            .replace("{instruction}", "{" + instruction_field + "}")
            .replace("{response}", "{" + response_field + "}")
            for d in chosen
        }
        super().__init__(
            backend,
            prompts,
            use_images=True,
            min_score=min_score,
            temperature=temperature,
            max_tokens=max_tokens,
        )
