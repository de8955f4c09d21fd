"""Oasis step 1: show an MLLM only an image and its chat template's pre-query prefix (the hook),
and let it write the user's turn by itself."""

from __future__ import annotations

import dataclasses
from typing import Literal

from mmrecipe.backends.base import Backend, ChatRequest, SamplingParams, require
from mmrecipe.backends.hooking import hook_sampling_for, user_turn
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import ExpandOp
from mmrecipe.prompted import IoBoundOp, generation_trace, params_trace, reject_failed
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("oasis_hook")
class OasisHook(IoBoundOp, ExpandOp):
    """Hook an MLLM with an image: it writes text (often an instruction) with no prompt at all.

    The request holds the sample's first image and no query; the backend renders the model's
    own hook prefix (chat template cut after the image, default system prompt included). The
    text up to the end of the user turn goes to ``fields.<output_field>`` (an engine that
    writes on past it answers its own instruction), the raw text to the trace. With ``n > 1``
    each image yields ``n`` samples, ids ``<id>-h0`` .. ``<id>-h<n-1>``. Defaults are the
    official Oasis sampling.

    Rejects: ``no_image``, ``model_error`` (the backend gave up, or cannot render the hook for
    this image), ``empty_output``.

    Args:
        backend: an MLLM backend that can hook (in-process vllm/transformers, or openai with
            server: vllm | sglang)
        n: hooked generations per image (paper: not stated)
        temperature: sampling temperature (official: 1.0)
        top_k: top-k sampling (official: 20)
        top_p: nucleus sampling (official: 1.0)
        max_tokens: longest generation (official: 512)
        min_tokens: shortest generation before EOS is allowed (official: 50)
        frequency_penalty: OpenAI-style frequency penalty; default: the model family's
            (official, for Qwen2.5-VL: 1.0; 0 for the others)
        presence_penalty: OpenAI-style presence penalty; default: the family's (Qwen2.5-VL: 1.0)
        repetition_penalty: multiplicative repetition penalty, where the engine has it
        banned_tokens: token strings never generated; default: the family's (official, for
            Qwen2.5-VL: <|im_start|>; the same mask for the other ChatML families, none
            elsewhere). The family is read from the backend's model id
            (``mmrecipe.backends.hooking.KNOWN_FAMILIES``); a value set here wins.
        seed: sampling seed (engines that take one)
        output_field: where the hooked text goes
        media: ``video``: hook with the sample's first video instead (the family's video
            placeholder, e.g. Qwen2-VL's ``<|vision_start|><|video_pad|><|vision_end|>``;
            see ``backends/video_hook.py``); families without one are refused at setup
    """

    reads = ("images",)

    def __init__(
        self,
        backend: str,
        n: int = 1,
        temperature: float = 1.0,
        top_k: int | None = 20,
        top_p: float = 1.0,
        max_tokens: int = 512,
        min_tokens: int | None = 50,
        frequency_penalty: float | None = None,
        presence_penalty: float | None = None,
        repetition_penalty: float | None = None,
        banned_tokens: list[str] | None = None,
        seed: int | None = None,
        output_field: str = "hooked_text",
        media: Literal["image", "video"] = "image",
    ) -> None:
        if n < 1:
            raise ConfigError("oasis_hook: n must be >= 1")
        if min_tokens is not None and min_tokens > max_tokens:
            raise ConfigError("oasis_hook: min_tokens is larger than max_tokens")
        self.backend_name = backend
        self.media = media
        if media == "video":
            self.reads = ("videos",)
        self.n = n
        self.output_field = output_field
        #: what the recipe left to the model family (resolved in setup, once the model is known)
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
            n=n,
            seed=seed,
            frequency_penalty=frequency_penalty or 0.0,
            presence_penalty=presence_penalty or 0.0,
            repetition_penalty=repetition_penalty,
            banned_tokens=tuple(banned_tokens or ()),
        )
        self.writes = (f"fields.{output_field}", "fields.parent_id", "trace")
        self.backend: Backend | None = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.backend = ctx.backend(self.backend_name)
        require(self.backend, "vision", "hook", step=self.name)
        if self.media == "video":
            from mmrecipe.backends.video_hook import check_video_hook

            check_video_hook(self.backend, self.name)
        if self._family_keys:
            _family, defaults = hook_sampling_for(self.backend.model)
            chosen = {k: defaults[k] for k in self._family_keys}
            if "banned_tokens" in chosen:
                chosen["banned_tokens"] = tuple(chosen["banned_tokens"])
            self.params = dataclasses.replace(self.params, **chosen)

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.backend is not None, "setup() was not called"
        todo: list[Sample] = []
        for sample in samples:
            if sample.rejected:
                continue
            if self.media == "video" and not sample.videos:
                sample.reject(self.name, "no_video", "video hooking needs a video")
                continue
            if self.media == "image" and not sample.images:
                sample.reject(self.name, "no_image", "hooking needs an image")
                continue
            todo.append(sample)
        video = self.media == "video"
        requests = [
            ChatRequest(
                images=[] if video else s.images[:1],
                videos=s.videos[:1] if video else [],
                hook=True,
                request_id=f"{s.id}/{self.name}",
            )
            for s in todo
        ]
        gens = await self.backend.generate(requests, self.params) if requests else []
        done = {id(s): g for s, g in zip(todo, gens, strict=True)}
        out: list[Sample] = []
        for sample in samples:
            gen = done.get(id(sample))
            if gen is None:
                out.append(sample)
                continue
            trace = {
                "request": {
                    "backend": self.backend_name,
                    "model": self.backend.model,
                    "hook": True,
                    "images": [(sample.videos if video else sample.images)[0].path],
                    "params": params_trace(self.params),
                },
                "response": generation_trace(gen),
            }
            sample.trace[self.name] = trace
            if gen.error:
                out.append(reject_failed(sample, self.name, gen))
                continue
            texts = gen.texts or [""]
            children = (
                [sample] if self.n == 1 else [sample.child(f"h{i}") for i in range(len(texts))]
            )
            for index, (child, text) in enumerate(zip(children, texts, strict=True)):
                if self.n > 1:  # each child keeps only its own text
                    response = {
                        **trace["response"],
                        "texts": [text],
                        "finish_reasons": gen.finish_reasons[index : index + 1],
                    }
                    child.trace[self.name] = {**trace, "response": response, "index": index}
                    child.fields["parent_id"] = sample.id
                turn = user_turn(text).strip()
                if not turn:
                    child.reject(
                        self.name, "empty_output", "the model wrote nothing after the hook"
                    )
                else:
                    child.fields[self.output_field] = turn
                out.append(child)
        return out
