"""OctoThinker's recipe, step 1: an LLM scores a sample of the data 0-5 (the labels a cheap
classifier learns from)."""

from __future__ import annotations

import hashlib

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.curation.honeypipe.fields import QA_FIELDS, fill_qa
from mmrecipe.ops.curation.honeypipe.prompts import QUALITY_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.replies import parse_score
from mmrecipe.sample import Sample


def in_sample(seed: int, sample_id: str, rate: float) -> bool:
    """Whether a sample falls in a ``rate`` share chosen by a hash of (seed, id)."""
    digest = hashlib.blake2b(f"{seed}\x1f{sample_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < rate


@register_op("llm_quality_score")
class LlmQualityScore(PromptedOp, MapOp):
    """Scores a ``sample_rate`` share of the samples (chosen by a hash of seed and id, so
    stable across runs) 0-5 into ``scores.<score>``; the others get no score and no call. A
    reply without a score leaves the sample unlabeled (its raw reply stays in the trace):
    these are training labels for ``fasttext_filter``, not a verdict on the sample.

    Args:
        backend: the LLM
        sample_rate: share of samples scored (OctoThinker: a small labeled subset)
        score: the score's name
        prompt: replaces the built-in prompt (``{instruction}``, ``{answer}``; reply [[k]])
        seed: which samples are scored
        temperature: sampling temperature
        max_tokens: longest reply
    """

    def __init__(
        self,
        backend: str,
        sample_rate: float = 0.1,
        score: str = "llm_quality",
        prompt: str = QUALITY_PROMPT,
        seed: int = 0,
        temperature: float = 0.0,
        max_tokens: int = 256,
    ) -> None:
        if not 0.0 < sample_rate <= 1.0:
            raise ConfigError(
                f"llm_quality_score: sample_rate must be in (0, 1], got {sample_rate}"
            )
        self.sample_rate = sample_rate
        self.score_name = score
        self.seed = seed
        self.caller = PromptCaller(
            backend,
            {"quality": prompt},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.reads = ("messages", *QA_FIELDS)
        self.writes = (f"scores.{score}", *QA_FIELDS, "trace")

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        chosen = [
            s for s in samples if not s.rejected and in_sample(self.seed, s.id, self.sample_rate)
        ]
        fill_qa(chosen)
        for answer in await self.caller.ask(chosen, self.name):
            value = parse_score(answer.text("quality"), 0, 5)
            if value is not None:
                answer.sample.scores[self.score_name] = float(value)
        # a failed request is no verdict on the sample: it only goes unlabeled
        for sample in chosen:
            if sample.rejection is not None and sample.rejection.op == self.name:
                sample.rejection = None
        return samples
