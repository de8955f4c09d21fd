"""HoneyPipe CoT enrichment, step 3: does the reasoning reach the original answer?"""

from __future__ import annotations

from typing import Literal

from mmrecipe.backends.base import SamplingParams
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.io.conversation import text_of
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.curation.honeypipe.parsing import bracket_token
from mmrecipe.ops.curation.honeypipe.prompts import FIDELITY_PROMPTS
from mmrecipe.prompted import IoBoundOp, PromptCaller
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_TYPES = ("factual", "descriptive")


@register_op("cot_fidelity")
class CotFidelity(IoBoundOp, FilterOp):
    """A judge (HoneyPipe: a VLM, with the image) compares the chain of thought's conclusion
    (``fields.cot_conclusion``) with the original answer, by the criterion of the question's
    type (``fields.question_type`` from ``cot_triage``): a factual question's final answer must
    match precisely; a descriptive answer must stay on theme and cover the reference's main
    points. ``scores.cot_fidelity_<level>``: 1 agree, 0 disagree. An agreeing sample is
    rewritten: the user turn asks ``fields.cot_instruction`` (constraints stripped), the
    assistant turn is the reasoning (a ``<think>`` trace kept as is), ``fields.cot`` is the
    level. Samples not needing reasoning pass untouched. Rejects (route them to a long-CoT
    branch with ``route:``): ``unfaithful_cot`` (both answers in the detail),
    ``no_final_answer`` (no call), ``unparseable_fidelity``, ``model_error``;
    ``unfaithful_cot_proactive`` when a proactive long copy of the sample (``cot_triage``
    ``proactive_long``) is already on the long branch, so routing it would make a duplicate.

    Args:
        backend: the judge (a VLM when ``use_images``)
        level: short or long (what ``fields.cot`` records)
        use_images: show the judge the image
        prompts: replace the built-in prompts, by question type (``factual``,
            ``descriptive``; fields ``{instruction}``, ``{answer}``, ``{cot_conclusion}``)
        temperature: sampling temperature
        max_tokens: longest reply
    """

    reads = (
        "messages",
        "fields.instruction",
        "fields.answer",
        "fields.cot_conclusion",
        "fields.question_type",
    )
    writes = ("messages", "fields.cot", "scores.*", "trace")

    def __init__(
        self,
        backend: str,
        level: Literal["short", "long"] = "short",
        use_images: bool = True,
        prompts: dict[str, str] | None = None,
        temperature: float = 0.0,
        max_tokens: int = 256,
    ) -> None:
        templates = {**FIDELITY_PROMPTS, **(prompts or {})}
        if set(templates) != set(_TYPES):
            raise ConfigError(
                f"cot_fidelity: prompts are keyed by {list(_TYPES)}, not {sorted(templates)}"
            )
        self.level = level
        self.score_name = f"cot_fidelity_{level}"
        params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        self.callers = {
            kind: PromptCaller(
                backend, {"fidelity": templates[kind]}, params, use_images=use_images
            )
            for kind in _TYPES
        }

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        for caller in self.callers.values():
            caller.setup(ctx, self.name)

    async def ascore(self, samples: list[Sample]) -> None:
        asked: dict[str, list[Sample]] = {kind: [] for kind in _TYPES}
        for sample in samples:
            if sample.rejected or not sample.fields.get("needs_reasoning"):
                continue
            if not str(sample.fields.get("cot_conclusion") or "").strip():
                tail = str(sample.fields.get("cot_text") or "")[-300:]
                sample.reject(self.name, "no_final_answer", f"{self.level} CoT ends: {tail!r}")
                continue
            kind = sample.fields.get("question_type")
            if kind not in _TYPES:
                sample.reject(self.name, "missing_field", f"fields.question_type is {kind!r}")
                continue
            asked[kind].append(sample)
        for kind, caller in self.callers.items():
            for answer in await caller.ask(asked[kind], self.name):
                self._judge(answer.sample, answer.text("fidelity"))

    def _judge(self, sample: Sample, reply: str) -> None:
        verdict = bracket_token(reply, ["AGREE", "DISAGREE"])
        if verdict is None:
            sample.reject(self.name, "unparseable_fidelity", reply[-300:])
            return
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
            final = (
                sample.fields.get("cot_final") or str(sample.fields.get("cot_conclusion"))[-200:]
            )
            detail = (
                f"{self.level} CoT answers {final!r}, the original {sample.fields.get('answer')!r}"
            )
            if self.level == "short" and sample.fields.get("cot_proactive"):
                return (
                    "unfaithful_cot_proactive",
                    detail + "; its long copy is on the long branch",
                )
            return ("unfaithful_cot", detail)
        return None
