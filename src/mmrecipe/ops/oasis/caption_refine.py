"""LLM refinement of captions before they are recycled (Oasis caption recycling, step 2)."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.oasis.parsing import parse_refined_caption
from mmrecipe.ops.oasis.prompts import CAPTION_REFINE_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_DETAIL_CHARS = 300


@register_op("caption_refine")
class CaptionRefine(PromptedOp, MapOp):
    """Ask an LLM (few-shot) whether a text is a usable caption, and for a light clean-up.

    The LLM replies ``Caption: <text>`` (kept in ``fields.caption``, the original in
    ``fields.caption_raw``) or ``NOT_CAPTION`` (rejected as ``not_caption``); any other reply
    is rejected as ``unparseable_refine``. The paper used Qwen2.5-72B-Instruct, few-shot.

    Args:
        backend: the LLM backend
        prompt: the refinement prompt; ``{caption}`` (or another field) is filled in
        field: the field holding the caption
        temperature: sampling temperature (official judges: 0)
        max_tokens: longest reply
    """

    def __init__(
        self,
        backend: str,
        prompt: str = CAPTION_REFINE_PROMPT,
        field: str = "caption",
        temperature: float = 0.0,
        max_tokens: int = 1024,
    ) -> None:
        self.field = field
        self.caller = PromptCaller(
            backend,
            {"refine": prompt},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.reads = self.caller.reads()
        self.writes = (f"fields.{field}", f"fields.{field}_raw", "trace")

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        for answer in await self.caller.ask(samples, self.name):
            sample, reply = answer.sample, answer.text("refine")
            refined = parse_refined_caption(reply)
            if refined is None:
                sample.reject(self.name, "unparseable_refine", reply[:_DETAIL_CHARS])
            elif not refined:
                sample.reject(self.name, "not_caption", "the LLM judged it not a usable caption")
            else:
                sample.fields[f"{self.field}_raw"] = sample.fields.get(self.field)
                sample.fields[self.field] = refined
        return samples
