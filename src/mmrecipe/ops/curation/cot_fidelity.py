"""HoneyPipe CoT enrichment, step 3: does the reasoning reach the original answer?"""

from __future__ import annotations

from typing import Literal

from mmrecipe.backends.base import SamplingParams
from mmrecipe.io.conversation import text_of
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.curation.honeypipe.parsing import bracket_token
from mmrecipe.ops.curation.honeypipe.prompts import FIDELITY_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("cot_fidelity")
class CotFidelity(PromptedOp, FilterOp):
    """An LLM checks that the chain of thought's final answer agrees with the original answer
    (``scores.cot_fidelity_<level>``: 1 agree, 0 disagree). An agreeing sample is rewritten:
    the user turn asks ``fields.cot_instruction`` (constraints stripped), the assistant turn is
    the reasoning, ``fields.cot`` is the level. Samples not needing reasoning pass untouched.
    Rejects (route them to a long-CoT branch with ``route:``): ``unfaithful_cot`` (both answers
    in the detail), ``no_final_answer`` (no call), ``unparseable_fidelity``, ``model_error``.

    Args:
        backend: the LLM
        level: short or long (what ``fields.cot`` records)
        prompt: replaces the built-in prompt (``{instruction}``, ``{answer}``, ``{cot_final}``)
        temperature: sampling temperature
        max_tokens: longest reply
    """

    reads = ("messages", "fields.instruction", "fields.answer", "fields.cot_final")
    writes = ("messages", "fields.cot", "scores.*", "trace")

    def __init__(
        self,
        backend: str,
        level: Literal["short", "long"] = "short",
        prompt: str = FIDELITY_PROMPT,
        temperature: float = 0.0,
        max_tokens: int = 256,
    ) -> None:
        self.level = level
        self.score_name = f"cot_fidelity_{level}"
        self.caller = PromptCaller(
            backend,
            {"fidelity": prompt},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )

    async def ascore(self, samples: list[Sample]) -> None:
        asked = []
        for sample in samples:
            if sample.rejected or not sample.fields.get("needs_reasoning"):
                continue
            if not str(sample.fields.get("cot_final") or "").strip():
                tail = str(sample.fields.get("cot_text") or "")[-300:]
                sample.reject(self.name, "no_final_answer", f"{self.level} CoT ends: {tail!r}")
                continue
            asked.append(sample)
        for answer in await self.caller.ask(asked, self.name):
            sample = answer.sample
            verdict = bracket_token(answer.text("fidelity"), ["AGREE", "DISAGREE"])
            if verdict is None:
                sample.reject(self.name, "unparseable_fidelity", answer.text("fidelity")[-300:])
                continue
            sample.scores[self.score_name] = 1.0 if verdict == "AGREE" else 0.0
            if verdict == "AGREE":
                self._enrich(sample)

    def _enrich(self, sample: Sample) -> None:
        for message in sample.messages:
            if message.get("role") == "user":
                image = "<image>\n" if "<image>" in text_of(message) else ""
                message["content"] = image + sample.fields["cot_instruction"]
            elif message.get("role") == "assistant":
                message["content"] = sample.fields["cot_text"]
        sample.fields["cot"] = self.level

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        if sample.scores.get(self.score_name) == 0.0:
            final = sample.fields.get("cot_final")
            return (
                "unfaithful_cot",
                f"{self.level} CoT answers {final!r}, the original {sample.fields.get('answer')!r}",
            )
        return None
