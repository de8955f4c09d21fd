"""HoneyPipe CoT enrichment, step 1: does answering this question need reasoning, how much,
and is it factual or descriptive (which fidelity criterion applies)?"""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.curation.honeypipe.fields import QA_FIELDS, fill_qa, single_turn
from mmrecipe.ops.curation.honeypipe.parsing import bracket_token, has_boxes, strip_constraints
from mmrecipe.ops.curation.honeypipe.prompts import TRIAGE_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_LEVELS = {"DIRECT": "direct", "REASONING": "reasoning", "COMPLEX": "complex"}


@register_op("cot_triage")
class CotTriage(PromptedOp, MapOp):
    """An LLM labels a single-turn question's reasoning need (``fields.complexity``: direct,
    reasoning or complex; ``fields.needs_reasoning`` for the last two) and its type
    (``fields.question_type``: factual or descriptive, which ``cot_fidelity`` judges by
    different criteria). Every sample starts with ``fields.cot: none`` and
    ``fields.cot_instruction``, the question without "answer directly / with a single word"
    constraints, which the enriched sample will ask. Not enriched (no call), as HoneyPipe
    bypasses its CV tasks: multi-turn conversations, samples of the ``bypass_domains``
    (``fields.domain``; OCR) and, with ``bypass_boxes``, answers holding bounding-box
    coordinates (detection / grounding). ``complex`` samples get ``fields.cot_proactive``
    when ``proactive_long`` is on, for a ``fan_out(where:)`` that sends a copy straight to the
    long-CoT branch. Rejects: ``unparseable_triage`` (raw reply in the detail),
    ``model_error``, ``empty_output``.

    Args:
        backend: the LLM
        bypass_domains: domains never enriched (read from ``fields.domain``)
        bypass_boxes: answers with box coordinates are never enriched (detection output)
        proactive_long: mark complex samples ``fields.cot_proactive: true``
        prompt: the triage prompt (``{instruction}``, ``{answer}``; reply one of [[DIRECT]],
            [[REASONING]], [[COMPLEX]] and one of [[FACTUAL]], [[DESCRIPTIVE]])
        temperature: sampling temperature
        max_tokens: longest reply
    """

    writes = (
        "fields.needs_reasoning",
        "fields.complexity",
        "fields.question_type",
        "fields.cot_proactive",
        "fields.cot",
        "fields.cot_instruction",
        *QA_FIELDS,
        "trace",
    )

    def __init__(
        self,
        backend: str,
        bypass_domains: list[str] | None = None,
        bypass_boxes: bool = True,
        proactive_long: bool = False,
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
        self.bypass_boxes = bypass_boxes
        self.proactive_long = proactive_long
        self.reads = ("messages", *QA_FIELDS, *(("fields.domain",) if self.bypass else ()))

    def _bypassed(self, sample: Sample) -> bool:
        if not single_turn(sample) or sample.fields.get("domain") in self.bypass:
            return True
        return self.bypass_boxes and has_boxes(str(sample.fields.get("answer") or ""))

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        fill_qa(samples)
        asked = []
        for sample in samples:
            if sample.rejected:
                continue
            sample.fields["cot"] = "none"
            sample.fields["cot_instruction"] = strip_constraints(sample.fields["instruction"])
            sample.fields["needs_reasoning"] = False
            if not self._bypassed(sample):
                asked.append(sample)
        for answer in await self.caller.ask(asked, self.name):
            reply = answer.text("triage")
            level = bracket_token(reply, list(_LEVELS))
            kind = bracket_token(reply, ["FACTUAL", "DESCRIPTIVE"])
            if level is None or kind is None:
                answer.sample.reject(self.name, "unparseable_triage", reply[-300:])
                continue
            fields = answer.sample.fields
            fields["complexity"] = _LEVELS[level]
            fields["question_type"] = kind.lower()
            fields["needs_reasoning"] = level != "DIRECT"
            if self.proactive_long and level == "COMPLEX":
                fields["cot_proactive"] = True
        return samples
