"""HoneyPipe CoT enrichment, step 1: does answering this question need reasoning?"""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.curation.honeypipe.fields import QA_FIELDS, fill_qa, single_turn
from mmrecipe.ops.curation.honeypipe.parsing import bracket_token, strip_constraints
from mmrecipe.ops.curation.honeypipe.prompts import TRIAGE_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("cot_triage")
class CotTriage(PromptedOp, MapOp):
    """An LLM decides whether a single-turn question needs step-by-step reasoning
    (``fields.needs_reasoning``); every sample starts with ``fields.cot: none`` and
    ``fields.cot_instruction``, the question without "answer directly / with a single word"
    constraints, which the enriched sample will ask. Multi-turn conversations and samples of
    the ``bypass_domains`` (``fields.domain``; HoneyPipe: OCR and detection go straight to the
    final dataset) are not enriched (no call). Rejects: ``unparseable_triage`` (raw reply in the detail),
    ``model_error``, ``empty_output``.

    Args:
        backend: the LLM
        bypass_domains: domains never enriched (read from ``fields.domain``)
        prompt: the triage prompt (``{instruction}``, ``{answer}``; reply [[REASONING]] or
            [[DIRECT]])
        temperature: sampling temperature
        max_tokens: longest reply
    """

    writes = ("fields.needs_reasoning", "fields.cot", "fields.cot_instruction", *QA_FIELDS, "trace")

    def __init__(
        self,
        backend: str,
        bypass_domains: list[str] | None = None,
        prompt: str = TRIAGE_PROMPT,
        temperature: float = 0.0,
        max_tokens: int = 256,
    ) -> None:
        self.caller = PromptCaller(
            backend,
            {"triage": prompt},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.bypass = set(bypass_domains or [])
        self.reads = ("messages", *QA_FIELDS, *(("fields.domain",) if self.bypass else ()))

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        fill_qa(samples)
        asked = []
        for sample in samples:
            if sample.rejected:
                continue
            sample.fields["cot"] = "none"
            sample.fields["cot_instruction"] = strip_constraints(sample.fields["instruction"])
            sample.fields["needs_reasoning"] = False
            if single_turn(sample) and sample.fields.get("domain") not in self.bypass:
                asked.append(sample)
        for answer in await self.caller.ask(asked, self.name):
            verdict = bracket_token(answer.text("triage"), ["REASONING", "DIRECT"])
            if verdict is None:
                answer.sample.reject(self.name, "unparseable_triage", answer.text("triage")[-300:])
                continue
            answer.sample.fields["needs_reasoning"] = verdict == "REASONING"
        return samples
