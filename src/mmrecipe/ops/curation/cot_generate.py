"""HoneyPipe CoT enrichment, step 2: the MLLM reasons about the image, short or long."""

from __future__ import annotations

from typing import Literal

from mmrecipe.backends.base import SamplingParams
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.curation.honeypipe.parsing import final_answer
from mmrecipe.ops.curation.honeypipe.prompts import COT_PROMPT, LONG_COT_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("cot_generate")
class CotGenerate(PromptedOp, MapOp):
    """For samples ``cot_triage`` marked ``needs_reasoning``, the MLLM (with the image) answers
    ``fields.cot_instruction`` step by step, ending with "Final answer: ...". The reasoning goes
    to ``fields.cot_text``, its final answer to ``fields.cot_final`` ("" when the model gave
    none: ``cot_fidelity`` then fails it). Other samples pass untouched. Rejects:
    ``model_error``, ``empty_output``.

    Args:
        backend: the MLLM (HoneyPipe: a stronger one, ``mllm_long``, for the long branch)
        level: short or long (which built-in prompt; recorded by ``cot_fidelity``)
        prompt: replaces the built-in prompt (``{cot_instruction}`` filled in)
        temperature: sampling temperature
        max_tokens: longest reasoning
    """

    reads = ("images", "fields.needs_reasoning", "fields.cot_instruction")
    writes = ("fields.cot_text", "fields.cot_final", "trace")

    def __init__(
        self,
        backend: str,
        level: Literal["short", "long"] = "short",
        prompt: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> None:
        self.level = level
        template = prompt or (COT_PROMPT if level == "short" else LONG_COT_PROMPT)
        tokens = max_tokens or (1024 if level == "short" else 4096)
        self.caller = PromptCaller(
            backend,
            {"cot": template},
            SamplingParams(temperature=temperature, max_tokens=tokens),
            use_images=True,
        )

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        asked = [s for s in samples if not s.rejected and s.fields.get("needs_reasoning")]
        for answer in await self.caller.ask(asked, self.name):
            text = answer.text("cot").strip()
            answer.sample.fields["cot_text"] = text
            answer.sample.fields["cot_final"] = final_answer(text)
        return samples
