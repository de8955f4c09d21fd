"""The base of the ``[[k]]`` judges (Oasis' quality judges, HoneyPipe's qa_judge): ask for a
1-5 score as ``[[k]]``, store it, decide later.

Each judge is a filter split in two (data-juicer's stats/threshold split): ``score`` pays the
model and stores ``scores.<dimension>``; ``keep`` only compares numbers. Oasis' own thresholds
span two dimensions (solvability + clarity >= 7), so the recipe scores every dimension first and
``oasis_quality_gate`` applies them all at once; a judge's own ``min_score`` is there to drop
early and save calls. Because scores are stored and answers cached, re-thresholding a finished
run pays no model call.
"""

from __future__ import annotations

from typing import ClassVar

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import FilterOp
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.replies import parse_score
from mmrecipe.sample import Sample

SCORE_MIN, SCORE_MAX = 1, 5
_DETAIL_CHARS = 300


class ScoreJudge(PromptedOp, FilterOp):
    """Scores samples on one or more dimensions (one request each) and keeps them above
    ``min_score`` when it is set. Unparseable answers reject the sample as
    ``unparseable_score`` with the raw answer in the detail and the trace."""

    #: prefix of the score names (``scores.<prefix><dimension>``)
    score_prefix: ClassVar[str] = ""

    def __init__(
        self,
        backend: str,
        prompts: dict[str, str],
        *,
        use_images: bool,
        min_score: int | None,
        temperature: float,
        max_tokens: int,
    ) -> None:
        if min_score is not None and not SCORE_MIN <= min_score <= SCORE_MAX:
            raise ConfigError(f"min_score must be in {SCORE_MIN}..{SCORE_MAX}, got {min_score}")
        self.min_score = min_score
        self.caller = PromptCaller(
            backend,
            prompts,
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=use_images,
        )
        self.reads = self.caller.reads()
        self.score_names = {d: f"{self.score_prefix}{d}" for d in prompts}
        self.writes = (*(f"scores.{n}" for n in self.score_names.values()), "trace")

    async def ascore(self, samples: list[Sample]) -> None:
        for answer in await self.caller.ask(samples, self.name):
            sample = answer.sample
            for dimension, name in self.score_names.items():
                reply = answer.text(dimension)
                value = parse_score(reply, SCORE_MIN, SCORE_MAX)
                if value is None:
                    where = f"{dimension}: " if len(self.score_names) > 1 else ""
                    sample.reject(self.name, "unparseable_score", where + reply[-_DETAIL_CHARS:])
                    break
                sample.scores[name] = value

    def keep(self, sample: Sample) -> str | None:
        if self.min_score is None:
            return None
        low = [n for n in self.score_names.values() if sample.scores[n] < self.min_score]
        return f"low_{low[0]}" if low else None


class InstructionJudge(ScoreJudge):
    """One of Oasis' four instruction-quality dimensions, with its own rubric.

    Subclasses set ``dimension``, ``default_prompt`` and ``default_use_images`` (the paper: the
    MLLM with the image for solvability, clarity and hallucination; the LLM on text alone for
    nonsense, "since LLM is more sensitive to the language quality").

    Args:
        backend: the judge's backend (an MLLM when it sees the image)
        prompt: the rubric, ``{instruction}`` filled in (default: the built-in rubric)
        use_images: show the image to the judge (default: the paper's choice)
        min_score: drop below this right here (default: keep every score for
            ``oasis_quality_gate``, which applies the paper's thresholds)
        temperature: sampling temperature (official judges: 0)
        max_tokens: longest answer (official judges: 1024)
    """

    #: the dimension this judge scores (its score name)
    dimension: ClassVar[str] = ""
    default_prompt: ClassVar[str] = ""
    default_use_images: ClassVar[bool] = True

    def __init__(
        self,
        backend: str,
        prompt: str | None = None,
        use_images: bool | None = None,
        min_score: int | None = None,
        temperature: float = 0.0,
        max_tokens: int = 1024,
    ) -> None:
        super().__init__(
            backend,
            {self.dimension: prompt or self.default_prompt},
            use_images=self.default_use_images if use_images is None else use_images,
            min_score=min_score,
            temperature=temperature,
            max_tokens=max_tokens,
        )
