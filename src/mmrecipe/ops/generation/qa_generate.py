"""Ask a model for question–answer pairs as JSON and turn them into conversation turns."""

from __future__ import annotations

import dataclasses
from typing import Literal

from mmrecipe.backends.base import SamplingParams
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.generation.qa import (
    QA_LIST_SCHEMA,
    QaParseError,
    parse_qa_pairs,
    qa_turns,
    raw_detail,
)
from mmrecipe.prompted import PromptCaller, PromptedOp, template_fields
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("qa_generate")
class QaGenerate(PromptedOp, MapOp):
    """Ask a model (an LLM that only reads the annotations, or an MLLM that also sees the
    image) for QA pairs about a sample and make them its conversation.

    The prompt asks for JSON, a list of ``{"question": ..., "answer": ...}``. With ``json:
    auto`` the request carries that schema for guided decoding when the backend declares
    ``json_schema`` (vLLM, OpenAI-compatible servers); otherwise the answer is parsed
    defensively: Markdown fences, stray text around the JSON, an object wrapping the list and
    LLaVA's ``Question: / Answer:`` layout all parse. Anything else rejects the sample
    (``unparseable_qa``, the raw answer in the detail and the trace). The pairs are stored in
    ``fields.<output_field>`` and become user/assistant turns with ``<image>`` once, in the
    first user turn; model text never carries ``<image>``.

    Args:
        backend: name of a backend declared in the recipe's ``backends:``
        prompt: the user prompt; ``{name}`` is replaced by ``sample.fields["name"]``
        system: an optional system prompt (LLaVA puts its instructions and few-shot here)
        use_images: send the sample's images (False: the model never sees the image)
        json_mode: auto (schema where the backend can), schema (required), prompt (never sent)
        min_pairs: fewer parsed pairs reject the sample (``too_few_pairs``)
        max_pairs: keep at most this many pairs (None: all)
        output_field: where the pairs go
        messages: replace the sample's conversation, or append to it
        temperature: sampling temperature
        top_p: nucleus sampling
        max_tokens: longest answer, in tokens
        seed: sampling seed, where the server supports it
    """

    reads = ("images",)
    writes = ("fields.qa", "messages", "trace")

    def __init__(
        self,
        backend: str,
        prompt: str,
        system: str | None = None,
        use_images: bool = False,
        json_mode: Literal["auto", "schema", "prompt"] = "auto",
        min_pairs: int = 1,
        max_pairs: int | None = None,
        output_field: str = "qa",
        messages: Literal["replace", "append"] = "replace",
        temperature: float = 0.0,
        top_p: float = 1.0,
        max_tokens: int = 2048,
        seed: int | None = None,
    ) -> None:
        if not prompt.strip():
            raise ConfigError("qa_generate: prompt is empty")
        if min_pairs < 1 or (max_pairs is not None and max_pairs < min_pairs):
            raise ConfigError("qa_generate: need 1 <= min_pairs <= max_pairs")
        self.json_mode = json_mode
        self.min_pairs = min_pairs
        self.max_pairs = max_pairs
        self.output_field = output_field
        self.messages_mode = messages
        self.params = SamplingParams(
            temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed
        )
        self.caller = PromptCaller(
            backend,
            {"prompt": prompt},
            self.params,
            use_images=use_images,
            system=system,
            keep_messages=False,
            capabilities=("json_schema",) if json_mode == "schema" else (),
        )
        fields = tuple(f"fields.{f}" for f in template_fields(prompt))
        self.reads = (*(("images",) if use_images else ()), *fields)
        self.writes = (f"fields.{output_field}", "messages", "trace")

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        assert self.caller.backend is not None
        guided = self.json_mode == "schema" or (
            self.json_mode == "auto" and "json_schema" in self.caller.backend.capabilities
        )
        if guided:
            self.caller.params = dataclasses.replace(self.params, json_schema=QA_LIST_SCHEMA)

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        for answer in await self.caller.ask(samples, self.name):
            sample, text = answer.sample, answer.text("prompt")
            try:
                pairs = parse_qa_pairs(text)
            except QaParseError as exc:
                sample.reject(self.name, "unparseable_qa", raw_detail(str(exc), text))
                continue
            if len(pairs) < self.min_pairs:
                sample.reject(
                    self.name,
                    "too_few_pairs",
                    raw_detail(f"{len(pairs)} pairs, at least {self.min_pairs} wanted", text),
                )
                continue
            if self.max_pairs is not None:
                pairs = pairs[: self.max_pairs]
            sample.fields[self.output_field] = pairs
            if self.messages_mode == "append" and sample.messages:
                sample.messages.extend(qa_turns(pairs, 0))
            else:
                sample.messages = qa_turns(pairs, len(sample.images))
        return samples
