"""Ask a vision-language model one question per sample and store its answer (recaptioning,
descriptions, Oasis responses, any single-turn generation)."""

from __future__ import annotations

from typing import Literal

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.prompted import IMAGE, PromptCaller, PromptedOp, template_fields
from mmrecipe.registry import register_op
from mmrecipe.replies import mean_nll
from mmrecipe.sample import Sample


@register_op("vlm_generate")
class VlmGenerate(PromptedOp, MapOp):
    """Ask a VLM one question per sample (its images plus a prompt filled from its fields) and
    store the answer in a field.

    ``{name}`` placeholders in ``prompt`` are filled from ``sample.fields``. Images go where
    the prompt has ``<image>`` placeholders, or before the prompt when it has
    none. Raw request and answer are kept in ``sample.trace[<step name>]``. A request that fails
    for good rejects the sample (``model_error``, with the error), an empty answer too
    (``empty_output``), a missing placeholder field as ``missing_field``.

    With ``n > 1``, ``select: lowest_nll`` is NLL reject sampling (Oasis' response-QC ablation):
    the answer with the lowest mean token negative log-likelihood is kept, its value stored in
    ``scores.<output_field>_nll``; the backend must return logprobs.

    Args:
        backend: name of a backend declared in the recipe's ``backends:``
        prompt: the user prompt; ``{name}`` is replaced by ``sample.fields["name"]``
        system: an optional system prompt
        output_field: where the answer goes (a list of answers when n > 1 and select: all)
        as_assistant_turn: append prompt and answer to ``sample.messages`` as a user/assistant turn
        use_images: send the sample's images (the backend must have ``vision``)
        temperature: sampling temperature
        top_p: nucleus sampling
        max_tokens: longest answer, in tokens
        n: answers per sample
        select: with n > 1, keep all answers (a list) or the one with the lowest mean NLL
        seed: sampling seed, where the server supports it
    """

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
        select: Literal["all", "lowest_nll"] = "all",
        seed: int | None = None,
    ) -> None:
        if n < 1:
            raise ConfigError("vlm_generate: n must be >= 1")
        if select == "lowest_nll" and (n < 2 or temperature <= 0):
            raise ConfigError(
                "vlm_generate: select: lowest_nll needs n >= 2 and temperature > 0 "
                "(the paper samples 5 answers and keeps the most confident)"
            )
        one_answer = n == 1 or select == "lowest_nll"
        if as_assistant_turn and not one_answer:
            raise ConfigError(
                "vlm_generate: as_assistant_turn needs one answer: n = 1 or select: lowest_nll"
            )
        if not prompt.strip():
            raise ConfigError("vlm_generate: prompt is empty")
        self.prompt = prompt
        self.output_field = output_field
        self.as_assistant_turn = as_assistant_turn
        self.select = select
        self.one_answer = one_answer
        self.params = SamplingParams(
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_tokens,
            n=n,
            seed=seed,
            logprobs=select == "lowest_nll",
        )
        self.caller = PromptCaller(
            backend,
            {"prompt": prompt},
            self.params,
            use_images=use_images,
            system=system,
            keep_messages=True,
            capabilities=("logprobs",) if select == "lowest_nll" else (),
        )
        # the contract of this instance: the fields its prompt names, the field it fills
        self.reads = (
            *(("images",) if use_images else ()),
            *(f"fields.{f}" for f in template_fields(prompt)),
        )
        writes = [f"fields.{output_field}", "trace"]
        if as_assistant_turn:
            writes.append("messages")
        if select == "lowest_nll":
            writes.append(f"scores.{output_field}_nll")
        self.writes = tuple(writes)

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        for answer in await self.caller.ask(samples, self.name):
            sample, gen = answer.sample, answer.generations["prompt"]
            texts = [t.strip() for t in gen.texts]
            if self.select == "lowest_nll":
                picked = self._lowest_nll(sample, texts, gen.token_logprobs)
                if picked is None:
                    continue
                sample.fields[self.output_field] = picked
            else:
                sample.fields[self.output_field] = texts[0] if self.one_answer else texts
            if self.as_assistant_turn:
                self._append_turn(
                    sample, answer.prompts["prompt"], sample.fields[self.output_field]
                )
        return samples

    def _lowest_nll(
        self, sample: Sample, texts: list[str], logprobs: list[list[float]] | None
    ) -> str | None:
        nlls = [mean_nll(lp) for lp in (logprobs or [])]
        scored = [(v, t) for v, t in zip(nlls, texts, strict=False) if v is not None and t]
        if not scored:
            sample.reject(self.name, "no_logprobs", "the backend returned no token logprobs")
            return None
        best, text = min(scored, key=lambda pair: pair[0])
        sample.scores[f"{self.output_field}_nll"] = round(best, 6)
        sample.trace[self.name]["response"]["mean_nll"] = nlls
        return text

    def _append_turn(self, sample: Sample, text: str, answer: str) -> None:
        has_image = any(IMAGE in str(m.get("content", "")) for m in sample.messages)
        user = text
        if self.caller.use_images and sample.images and not has_image and IMAGE not in text:
            user = IMAGE * len(sample.images) + "\n" + text
        elif has_image:
            user = text.replace(IMAGE, "").strip()
        sample.messages.append({"role": "user", "content": user})
        sample.messages.append({"role": "assistant", "content": answer})
