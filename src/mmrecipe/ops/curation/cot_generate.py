"""HoneyPipe CoT enrichment, step 2: the MLLM reasons about the image, short or long."""

from __future__ import annotations

from typing import Literal

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.curation.honeypipe.parsing import final_answer, think_trace
from mmrecipe.ops.curation.honeypipe.prompts import (
    COT_PROMPT,
    FORMAT_SUFFIX,
    LONG_COT_PROMPT,
    LONG_THINK_PROMPT,
)
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

#: the tail of a free-form response the fidelity judge reads (its conclusion is at the end)
_CONCLUSION_CHARS = 6000


@register_op("cot_generate")
class CotGenerate(PromptedOp, MapOp):
    """For samples ``cot_triage`` marked ``needs_reasoning``, the MLLM (with the image) answers
    ``fields.cot_instruction``. Short CoT, as in HoneyPipe, asks the question alone: no system
    prompt, no added format (``format_suffix: true`` appends "think step by step ... Final
    answer:"). The turn goes to ``fields.cot_text``; ``fields.cot_final`` holds an explicit
    "Final answer:" (or ``\\boxed{}``), "" if none; ``fields.cot_conclusion`` is what
    ``cot_fidelity`` compares with the original answer: the final-answer line when the suffix
    asked for one, the response after ``</think>`` in the think format, else the response's
    tail. ``trace_format: think`` (long level) asks for ``<think>reasoning</think>`` then the
    final response, and the enriched turn keeps that form. Other samples pass untouched.
    Rejects: ``malformed_trace`` (think format without a closed think block and a response
    after it), ``model_error``, ``empty_output``.

    Args:
        backend: the MLLM (HoneyPipe: a stronger one, ``mllm_long``, for the long branch)
        level: short or long (which built-in prompt; recorded by ``cot_fidelity``)
        format_suffix: append the "Final answer:" format request (plain trace only)
        trace_format: plain, or think (long level only)
        prompt: replaces the built-in prompt (``{cot_instruction}`` filled in)
        temperature: sampling temperature
        max_tokens: longest reasoning
    """

    reads = ("images", "fields.needs_reasoning", "fields.cot_instruction")
    writes = ("fields.cot_text", "fields.cot_final", "fields.cot_conclusion", "trace")

    def __init__(
        self,
        backend: str,
        level: Literal["short", "long"] = "short",
        format_suffix: bool = False,
        trace_format: Literal["plain", "think"] = "plain",
        prompt: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> None:
        if trace_format not in ("plain", "think"):
            raise ConfigError(
                f"cot_generate: trace_format must be plain or think, not {trace_format!r}"
            )
        if trace_format == "think" and level != "long":
            raise ConfigError("cot_generate: trace_format think is the long level's format")
        if trace_format == "think" and format_suffix:
            raise ConfigError(
                "cot_generate: format_suffix asks for a 'Final answer:' line; the think format "
                "ends with the response after </think> instead: set one of them"
            )
        self.level = level
        self.format_suffix = format_suffix
        self.trace_format = trace_format
        if prompt is None:
            if trace_format == "think":
                prompt = LONG_THINK_PROMPT
            else:
                prompt = COT_PROMPT if level == "short" else LONG_COT_PROMPT
                prompt += FORMAT_SUFFIX if format_suffix else ""
        tokens = max_tokens or (1024 if level == "short" else 4096)
        self.caller = PromptCaller(
            backend,
            {"cot": prompt},
            SamplingParams(temperature=temperature, max_tokens=tokens),
            use_images=True,
        )

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        asked = [s for s in samples if not s.rejected and s.fields.get("needs_reasoning")]
        for answer in await self.caller.ask(asked, self.name):
            text = answer.text("cot").strip()
            fields = answer.sample.fields
            if self.trace_format == "think":
                parts = think_trace(text)
                if parts is None:
                    answer.sample.reject(
                        self.name,
                        "malformed_trace",
                        f"no <think>...</think> then a response: {text[-300:]!r}",
                    )
                    continue
                reasoning, response = parts
                fields["cot_text"] = f"<think>\n{reasoning}\n</think>\n\n{response}"
                fields["cot_final"] = final_answer(response)
                fields["cot_conclusion"] = response
                continue
            fields["cot_text"] = text
            fields["cot_final"] = final_answer(text)
            fields["cot_conclusion"] = (
                fields["cot_final"] if self.format_suffix else text[-_CONCLUSION_CHARS:]
            )
        return samples
