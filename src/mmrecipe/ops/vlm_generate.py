"""Ask a vision-language model one question per sample and store its answer (recaptioning,
descriptions, any single-turn generation)."""

from __future__ import annotations

import re
from typing import Any

from mmrecipe.backends.base import Backend, ChatRequest, SamplingParams, require
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

IMAGE = "<image>"
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@register_op("vlm_generate")
class VlmGenerate(MapOp):
    """Ask a VLM one question per sample (its images plus a prompt filled from its fields) and
    store the answer in a field.

    ``{name}`` placeholders in ``prompt`` are filled from ``sample.fields``. Images go where
    the prompt has ``<image>`` placeholders, or before the prompt when it has
    none. Raw request and answer are kept in ``sample.trace[<step name>]``. A request that fails
    for good rejects the sample (``model_error``, with the error), an empty answer too
    (``empty_output``), a missing placeholder field as ``missing_field``.

    Args:
        backend: name of a backend declared in the recipe's ``backends:``
        prompt: the user prompt; ``{name}`` is replaced by ``sample.fields["name"]``
        system: an optional system prompt
        output_field: where the answer goes (a list of answers when n > 1)
        as_assistant_turn: append prompt and answer to ``sample.messages`` as a user/assistant turn
        use_images: send the sample's images (the backend must have ``vision``)
        temperature: sampling temperature
        top_p: nucleus sampling
        max_tokens: longest answer, in tokens
        n: answers per sample
        seed: sampling seed, where the server supports it
    """

    io_bound = True
    reads = ("images",)
    writes = ("trace",)

    def __init__(
        self,
        backend: str,
        prompt: str,
        system: str | None = None,
        output_field: str = "response",
        as_assistant_turn: bool = False,
        use_images: bool = True,
        temperature: float = 0.0,
        top_p: float = 1.0,
        max_tokens: int = 1024,
        n: int = 1,
        seed: int | None = None,
    ) -> None:
        if n < 1:
            raise ConfigError("vlm_generate: n must be >= 1")
        if as_assistant_turn and n != 1:
            raise ConfigError("vlm_generate: as_assistant_turn needs n = 1 (one answer per turn)")
        if not prompt.strip():
            raise ConfigError("vlm_generate: prompt is empty")
        self.backend_name = backend
        self.prompt = prompt
        self.system = system
        self.output_field = output_field
        self.as_assistant_turn = as_assistant_turn
        self.use_images = use_images
        self.params = SamplingParams(
            temperature=temperature, top_p=top_p, max_tokens=max_tokens, n=n, seed=seed
        )
        self.backend: Backend | None = None
        # the contract of this instance: the fields its prompt names, the field it fills
        self.reads = ("images", *(f"fields.{f}" for f in dict.fromkeys(_FIELD.findall(prompt))))
        writes = [f"fields.{output_field}", "trace"]
        if as_assistant_turn:
            writes.append("messages")
        self.writes = tuple(writes)

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.backend = ctx.backend(self.backend_name)
        if self.use_images:
            require(self.backend, "vision", step=self.name)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        raise TypeError("vlm_generate is I/O-bound: the executor calls aprocess_batch")

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.backend is not None, "setup() was not called"
        todo: list[tuple[Sample, ChatRequest, str]] = []
        for sample in samples:
            if sample.rejected:
                continue
            try:
                text = fill_template(self.prompt, sample.fields)
            except KeyError as exc:
                sample.reject(
                    self.name, "missing_field", f"prompt needs fields.{exc.args[0]}, not set"
                )
                continue
            images = list(sample.images) if self.use_images else []
            user = text if not images or IMAGE in text else IMAGE * len(images) + "\n" + text
            messages: list[dict[str, Any]] = []
            if self.system:
                messages.append({"role": "system", "content": self.system})
            messages.append({"role": "user", "content": user})
            request = ChatRequest(
                messages=messages, images=images, request_id=f"{sample.id}/{self.name}"
            )
            todo.append((sample, request, text))
        if not todo:
            return samples
        gens = await self.backend.generate([r for _, r, _ in todo], self.params)
        for (sample, request, text), gen in zip(todo, gens, strict=True):
            sample.trace[self.name] = {
                "request": {
                    "backend": self.backend_name,
                    "model": self.backend.model,
                    "messages": request.messages,
                    "images": [ref.path for ref in request.images],
                    "params": {
                        k: v for k, v in self.params.to_dict().items() if v not in ((), None)
                    },
                },
                "response": {
                    "texts": gen.texts,
                    "finish_reasons": gen.finish_reasons,
                    "prompt_tokens": gen.prompt_tokens,
                    "completion_tokens": gen.completion_tokens,
                    "cached": gen.cached,
                    **({"error": gen.error} if gen.error else {}),
                },
            }
            if gen.error:
                sample.reject(self.name, "model_error", gen.error)
                continue
            answers = [t.strip() for t in gen.texts]
            if not any(answers):
                sample.reject(self.name, "empty_output", "the model answered with empty text")
                continue
            sample.fields[self.output_field] = answers[0] if self.params.n == 1 else answers
            if self.as_assistant_turn:
                has_image = any(IMAGE in str(m.get("content", "")) for m in sample.messages)
                user = text
                if request.images and not has_image and IMAGE not in text:
                    user = IMAGE * len(request.images) + "\n" + text
                elif has_image:
                    user = text.replace(IMAGE, "").strip()
                sample.messages.append({"role": "user", "content": user})
                sample.messages.append({"role": "assistant", "content": answers[0]})
        return samples


def fill_template(template: str, fields: dict[str, Any]) -> str:
    """Replace ``{name}`` by ``fields[name]`` (KeyError names a missing field); other braces,
    like JSON examples in a prompt, stay as they are."""

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in fields or fields[key] is None:
            raise KeyError(key)
        value = fields[key]
        return value if isinstance(value, str) else str(value)

    return _FIELD.sub(sub, template)
