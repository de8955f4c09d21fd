"""One chat request per sample for the generation recipes' text steps, with the trace kept and
failures turned into rejections (as :mod:`mmrecipe.prompted`, but the prompt is filled with
values the op computes, not only fields)."""

from __future__ import annotations

from typing import Any

from mmrecipe.backends.base import ChatRequest, SamplingParams, require
from mmrecipe.context import OpContext
from mmrecipe.prompted import (
    IoBoundOp,
    fill_template,
    generation_trace,
    params_trace,
    user_content,
)
from mmrecipe.sample import Sample


class Asker(IoBoundOp):
    """Mixin (before the op kind): ``ask(items)`` with (sample, values for the template) ->
    (sample, answer text); an I/O-bound op whose chat backend is set up with it."""

    backend_name: str
    prompt: str
    params: SamplingParams
    use_images: bool = False
    chat: Any = None
    name: str

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)  # the op kind's, next in the MRO
        self.setup_chat(ctx, self.name)

    def setup_chat(self, ctx: OpContext, step: str) -> None:
        self.chat = ctx.backend(self.backend_name)
        if self.use_images:
            require(self.chat, "vision", step=step)

    async def ask(
        self, items: list[tuple[Sample, dict[str, Any]]], step: str
    ) -> list[tuple[Sample, str]]:
        pending = []
        for sample, values in items:
            try:
                text = fill_template(self.prompt, {**sample.fields, **values})
            except KeyError as exc:
                sample.reject(step, "missing_field", f"prompt needs fields.{exc.args[0]}, not set")
                continue
            images = list(sample.images[:1]) if self.use_images else []
            request = ChatRequest(
                messages=[{"role": "user", "content": user_content(text, len(images))}],
                images=images,
                request_id=f"{sample.id}/{step}",
            )
            pending.append((sample, request))
        if not pending:
            return []
        gens = await self.chat.generate([r for _, r in pending], self.params)
        out = []
        for (sample, request), gen in zip(pending, gens, strict=True):
            sample.trace[step] = {
                "request": {
                    "backend": self.backend_name,
                    "model": self.chat.model,
                    "messages": request.messages,
                    "params": params_trace(self.params),
                },
                "response": generation_trace(gen),
            }
            if gen.error:
                sample.reject(step, "model_error", gen.error)
            elif not gen.text.strip():
                sample.reject(step, "empty_output", "the model answered with empty text")
            else:
                out.append((sample, gen.text))
        return out
