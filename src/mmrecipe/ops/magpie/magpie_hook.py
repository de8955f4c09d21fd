"""Magpie's step: an aligned LLM sees only its chat template's pre-query prefix (per-language
system prompt and lead included) and writes the user's instruction itself."""

from __future__ import annotations

import dataclasses

from mmrecipe.backends.base import Backend, ChatRequest, SamplingParams, require
from mmrecipe.backends.hooking import hook_sampling_for, user_turn
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.prompted import IoBoundOp, generation_trace, params_trace, reject_failed
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("magpie_hook")
class MagpieHook(IoBoundOp, MapOp):
    """Hook an LLM with no image and no query: what it writes is the instruction.

    The request is ``[system?, user=lead]`` with ``hook=True``; the backend renders the
    template up to the user's text (``backends/text_hook.py``: in-process transformers/vLLM cut
    their own template, a vLLM server continues the open user turn, SGLang gets the known text
    family's prefix). A backend whose template cannot be cut is refused at setup. The text up to
    the end of the user turn, after the lead, goes to ``fields.<output_field>``.

    Rejects: ``model_error``, ``empty_output``.

    Args:
        backend: an LLM backend with ``text_hook``
        temperature, top_p, top_k, max_tokens, min_tokens, seed: sampling (defaults: the Oasis
            hook values, but no min_tokens: a text instruction may be short)
        frequency_penalty, presence_penalty, banned_tokens: default: the model family's
        output_field: where the instruction goes

    A fixed ``seed`` makes identical requests (one language, no lead) identical on engines that
    honour it; leave it unset for distinct instructions.
    """

    reads = ("fields.magpie_system", "fields.magpie_lead", "fields.magpie_index")

    def __init__(
        self,
        backend: str,
        temperature: float = 1.0,
        top_k: int | None = 20,
        top_p: float = 1.0,
        max_tokens: int = 512,
        min_tokens: int | None = None,
        frequency_penalty: float | None = None,
        presence_penalty: float | None = None,
        banned_tokens: list[str] | None = None,
        seed: int | None = None,
        output_field: str = "instruction",
    ) -> None:
        if min_tokens is not None and min_tokens > max_tokens:
            raise ConfigError("magpie_hook: min_tokens is larger than max_tokens")
        self.backend_name = backend
        self.output_field = output_field
        self._family_keys = {
            k
            for k, v in (
                ("frequency_penalty", frequency_penalty),
                ("presence_penalty", presence_penalty),
                ("banned_tokens", banned_tokens),
            )
            if v is None
        }
        self.params = SamplingParams(
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            max_tokens=max_tokens,
            min_tokens=min_tokens,
            seed=seed,
            frequency_penalty=frequency_penalty or 0.0,
            presence_penalty=presence_penalty or 0.0,
            banned_tokens=tuple(banned_tokens or ()),
        )
        self.writes = (f"fields.{output_field}", "trace")
        self.backend: Backend | None = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.backend = ctx.backend(self.backend_name)
        require(self.backend, "text_hook", step=self.name)
        if self._family_keys:
            _family, defaults = hook_sampling_for(self.backend.model)
            chosen = {k: defaults[k] for k in self._family_keys}
            if "banned_tokens" in chosen:
                chosen["banned_tokens"] = tuple(chosen["banned_tokens"])
            self.params = dataclasses.replace(self.params, **chosen)

    @staticmethod
    def request_for(sample: Sample, step: str) -> ChatRequest:
        """The text-only hook request of a seed sample."""
        system = sample.fields.get("magpie_system")
        lead = str(sample.fields.get("magpie_lead") or "")
        messages = [{"role": "system", "content": system}] if system else []
        if lead:
            messages.append({"role": "user", "content": lead})
        # every English sample sends the same request: the index keeps their cached answers
        # apart (at temperature > 0 the cache keys on it), as Magpie samples each one anew
        return ChatRequest(
            messages=messages,
            hook=True,
            sample_index=int(sample.fields.get("magpie_index") or 0),
            request_id=f"{sample.id}/{step}",
        )

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.backend is not None, "setup() was not called"
        todo = [s for s in samples if not s.rejected]
        requests = [self.request_for(s, self.name) for s in todo]
        gens = await self.backend.generate(requests, self.params) if requests else []
        for sample, request, gen in zip(todo, requests, gens, strict=True):
            sample.trace[self.name] = {
                "request": {
                    "backend": self.backend_name,
                    "model": self.backend.model,
                    "hook": True,
                    "messages": request.messages,
                    "params": params_trace(self.params),
                },
                "response": generation_trace(gen),
            }
            if gen.error:
                reject_failed(sample, self.name, gen)
                continue
            lead = str(sample.fields.get("magpie_lead") or "")
            text = (lead + user_turn((gen.texts or [""])[0])).strip()
            if not text or text == lead.strip():
                sample.reject(self.name, "empty_output", "the model wrote nothing after the hook")
                continue
            sample.fields[self.output_field] = text
        return samples
