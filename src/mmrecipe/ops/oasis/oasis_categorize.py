"""Oasis step 2: an LLM keeps the hooked texts that hold a real instruction and extracts it."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.oasis.parsing import parse_category
from mmrecipe.ops.oasis.prompts import CATEGORIZE_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_DETAIL_CHARS = 300


@register_op("oasis_categorize")
class OasisCategorize(PromptedOp, MapOp):
    """Sort hooked texts into instructions and captions with a few-shot LLM prompt.

    The LLM (text only) replies ``Instruction: <text>`` or ``NO_INST``. An instruction goes to
    ``fields.instruction`` (``fields.kind = "instruction"``). A caption is rejected with reason
    ``caption`` after its text is copied to ``fields.caption``: route that reason to a branch
    (``route: {caption: caption}``) to recycle it, as ``recipes/oasis.yaml`` does. Any other
    reply is rejected as ``unparseable_category`` with the reply in the detail and the trace.

    Args:
        backend: the LLM backend
        prompt: the categorization prompt; ``{hooked_text}`` (or another field) is filled in
        input_field: the field holding the hooked text (the prompt's placeholder must match)
        temperature: sampling temperature (official judges: 0)
        max_tokens: longest reply (official judges: 1024)
    """

    writes = ("fields.instruction", "fields.kind", "fields.caption", "trace")

    def __init__(
        self,
        backend: str,
        prompt: str = CATEGORIZE_PROMPT,
        input_field: str = "hooked_text",
        temperature: float = 0.0,
        max_tokens: int = 1024,
    ) -> None:
        self.input_field = input_field
        self.caller = PromptCaller(
            backend,
            {"categorize": prompt},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.reads = self.caller.reads()

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        for answer in await self.caller.ask(samples, self.name):
            sample, reply = answer.sample, answer.text("categorize")
            category = parse_category(reply)
            if category.kind == "instruction":
                sample.fields["instruction"] = category.instruction
                sample.fields["kind"] = "instruction"
            elif category.kind == "caption":
                sample.fields["caption"] = sample.fields.get(self.input_field)
                sample.fields["kind"] = "caption"
                sample.reject(self.name, "caption", "no instruction: a caption (NO_INST)")
            else:
                sample.reject(self.name, "unparseable_category", reply[:_DETAIL_CHARS])
        return samples
