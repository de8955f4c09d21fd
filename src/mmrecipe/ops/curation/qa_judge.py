"""HoneyPipe's model filter: an MLLM looks at the image and scores an existing question/answer
pair (is the question about this image, answerable from it, is the given answer right)."""

from __future__ import annotations

from typing import Literal

from mmrecipe.errors import ConfigError
from mmrecipe.ops.curation.honeypipe.fields import QA_FIELDS, fill_qa
from mmrecipe.ops.curation.honeypipe.prompts import QA_PROMPTS
from mmrecipe.ops.judge import ScoreJudge
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

Dimension = Literal["relevance", "answerability", "correctness"]


@register_op("qa_judge")
class QaJudge(ScoreJudge):
    """Scores each dimension 1-5 (one request each, the image shown) into
    ``scores.qa_<dimension>``; thresholds are applied by ``score_gate`` (or ``min_score``
    here), so re-thresholding a finished run pays no model call. The question and answer come
    from ``fields.instruction`` / ``fields.answer``, filled from the conversation's user and
    assistant turns when a dataset has only ``messages``. Rejects: ``unparseable_score`` (the
    raw answer in the detail), ``model_error``, ``empty_output``.

    Args:
        backend: the MLLM judge
        dimensions: which dimensions to score (HoneyPipe: all three)
        prompts: rubric per dimension to replace the built-in one (``{instruction}``,
            ``{answer}`` filled in)
        min_score: drop below this right here (default: keep every score for the gate)
        temperature: sampling temperature (judges: 0)
        max_tokens: longest answer
    """

    score_prefix = "qa_"

    def __init__(
        self,
        backend: str,
        dimensions: list[Dimension] | None = None,
        prompts: dict[str, str] | None = None,
        min_score: int | None = None,
        temperature: float = 0.0,
        max_tokens: int = 512,
    ) -> None:
        chosen = list(dimensions or QA_PROMPTS)
        unknown = set(prompts or {}) - set(chosen)
        if unknown:
            raise ConfigError(f"qa_judge: prompts for dimensions not scored: {sorted(unknown)}")
        super().__init__(
            backend,
            {d: (prompts or {}).get(d, QA_PROMPTS[d]) for d in chosen},
            use_images=True,
            min_score=min_score,
            temperature=temperature,
            max_tokens=max_tokens,
        )
        self.reads = ("images", "messages", *QA_FIELDS)
        self.writes = (*self.writes, *QA_FIELDS)

    async def ascore(self, samples: list[Sample]) -> None:
        fill_qa(samples)
        await super().ascore(samples)
