"""In-process vLLM backend (``type: vllm``): the fast path on a GPU node.

Chat requests go through ``LLM.chat`` with PIL image parts; hook requests go through
``LLM.generate({"prompt": prefix, "multi_modal_data": {"image": pil}})`` with the prefix derived
from the model's own chat template (``hooking.py``). vLLM is imported lazily, so the core and
the request-building functions here work without it; those functions are pure and unit-tested
without a GPU.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Annotated, Any

from pydantic import Field, PositiveInt

from mmrecipe.backends.base import ChatRequest, Generation, SamplingParams, engine_capabilities
from mmrecipe.backends.hooking import check_against_known, derive_hook_prefix, strip_bos
from mmrecipe.backends.inputs import RequestError, load_image, to_parts
from mmrecipe.backends.text_hook import text_hook_capability, text_hook_prompt
from mmrecipe.backends.video_input import as_frames
from mmrecipe.errors import BackendError
from mmrecipe.limits import DEFAULT_MAX_ANSWER_BYTES, limit_answer

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'mmrecipe[vllm]' (needs a CUDA GPU)"


def build_sampling_kwargs(params: SamplingParams) -> dict[str, Any]:
    """mmrecipe SamplingParams -> keyword arguments of ``vllm.SamplingParams``.

    ``json_schema`` is left out: its vLLM type depends on the vLLM version (see
    ``VLLMBackend._sampling_params``).
    """
    kw: dict[str, Any] = {
        "n": max(1, params.n),
        "temperature": max(0.0, params.temperature),
        "top_p": params.top_p,
        "max_tokens": params.max_tokens,
        "frequency_penalty": params.frequency_penalty,
        "presence_penalty": params.presence_penalty,
    }
    if params.temperature <= 0:  # greedy: vLLM ignores top_p/top_k, keep them neutral
        kw["top_p"] = 1.0
    elif params.top_k is not None and params.top_k > 0:
        kw["top_k"] = params.top_k
    if params.min_tokens:
        kw["min_tokens"] = params.min_tokens
    if params.stop:
        kw["stop"] = list(params.stop)
    if params.seed is not None:
        kw["seed"] = params.seed
    if params.logprobs:
        kw["logprobs"] = 0  # the sampled token's log-probability only
    if params.repetition_penalty is not None:
        kw["repetition_penalty"] = params.repetition_penalty
    if params.banned_tokens:
        kw["bad_words"] = list(params.banned_tokens)
    return kw


def build_chat_messages(request: ChatRequest, images: list[Any]) -> list[dict[str, Any]]:
    """The request as ``LLM.chat`` messages, images as ``image_pil`` parts in reading order."""
    out = []
    for message in to_parts(request):
        content = []
        for part in message["content"]:
            if part["type"] == "image":
                content.append({"type": "image_pil", "image_pil": images[part["image_index"]]})
            else:
                content.append({"type": "text", "text": part["text"]})
        out.append({"role": message["role"], "content": content})
    return out


def build_prompt_inputs(
    request: ChatRequest, prefix: str, images: list[Any] | None = None, image_token: str = ""
) -> dict[str, Any]:
    """A hook request as an ``LLM.generate`` input: the raw prefix plus the image(s).

    ``images`` are the loaded PIL images (loaded from ``request.images`` when None).
    ``image_token`` is the placeholder the prefix holds once per image (checked when given).
    """
    if not request.images:
        raise RequestError("a hook request needs an image")
    if images is None:
        images = [load_image(ref) for ref in request.images]
    if image_token:
        expected = prefix.count(image_token)
        if expected != len(images):
            raise RequestError(
                f"a hook request takes exactly {expected} image(s) (the hook prefix has "
                f"{expected} {image_token!r}), got {len(images)}"
            )
    data: Any = images[0] if len(images) == 1 else list(images)
    return {"prompt": prefix, "multi_modal_data": {"image": data}}


def to_generation(output: Any, want_logprobs: bool) -> Generation:
    """A vLLM ``RequestOutput`` -> Generation (texts, finish reasons, counts, logprobs)."""
    gen = Generation(prompt_tokens=len(output.prompt_token_ids or []))
    if want_logprobs:
        gen.token_logprobs = []
    for completion in output.outputs:
        gen.texts.append(completion.text)
        gen.finish_reasons.append(str(completion.finish_reason or "stop"))
        ids = list(completion.token_ids)
        gen.completion_tokens += len(ids)
        if gen.token_logprobs is not None:
            steps = completion.logprobs or []
            gen.token_logprobs.append(
                [float(step[tok].logprob) for tok, step in zip(ids, steps, strict=False)]
            )
    return gen


class VLLMBackend:
    """A vLLM engine in this process.

    Args:
        name: the backend's name in the recipe.
        model: a local folder or a hub id already on disk.
        tensor_parallel_size, gpu_memory_utilization, max_model_len, dtype: vLLM engine args.
        limit_mm_per_prompt: e.g. ``{"image": 4}``; default one image per prompt.
        hook_prefix: the hooking prefix; derived from the chat template when None.
        trust_remote_code: allow the model's own code (only for models you trust).
        seed: engine seed.
        engine_kwargs: any other ``vllm.LLM`` argument (e.g. ``enforce_eager``).
        max_answer_bytes: an answer larger than this is rejected (``answer_too_large``).
    """

    #: the model runs in this process: it batches best when given a whole shard at once
    in_process = True

    def __init__(
        self,
        name: str,
        model: str,
        tensor_parallel_size: PositiveInt = 1,
        gpu_memory_utilization: Annotated[float, Field(gt=0, le=1)] = 0.9,
        max_model_len: PositiveInt | None = None,
        dtype: str = "auto",
        limit_mm_per_prompt: dict[str, int] | None = None,
        hook_prefix: str | None = None,
        trust_remote_code: bool = False,
        seed: int = 0,
        engine_kwargs: dict[str, Any] | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        try:
            import vllm
        except ImportError as exc:
            raise BackendError(
                f"backend {name!r}: type 'vllm' needs vLLM, which is not installed: {INSTALL_HINT}"
            ) from exc
        self.name = name
        self.model = model
        #: answers larger than this (UTF-8 bytes) are rejected as answer_too_large
        self.max_answer_bytes = int(max_answer_bytes)
        self._vllm = vllm
        self._lock = threading.Lock()
        args: dict[str, Any] = {
            "model": model,
            "tensor_parallel_size": tensor_parallel_size,
            "gpu_memory_utilization": gpu_memory_utilization,
            "dtype": dtype,
            "trust_remote_code": trust_remote_code,
            "seed": seed,
            "limit_mm_per_prompt": limit_mm_per_prompt or {"image": 1},
        }
        if max_model_len is not None:
            args["max_model_len"] = max_model_len
        args.update(engine_kwargs or {})
        try:
            self.llm = vllm.LLM(**args)
        except Exception as exc:
            raise BackendError(f"backend {name!r}: vLLM cannot load {model!r}: {exc}") from exc
        self.tokenizer = self.llm.get_tokenizer()
        self.vision = bool(getattr(self.llm.llm_engine.model_config, "is_multimodal_model", False))
        self.image_token = ""
        self.hook_error: str | None = None
        self.hook_prefix = hook_prefix
        if self.hook_prefix is None and self.vision:
            self.hook_prefix = self._derive_prefix(trust_remote_code)
        if self.hook_prefix is not None:
            check = check_against_known(model, self.hook_prefix)
            if check is not None and not check.ok:
                log.warning("backend %r: %s", name, check.describe(self.hook_prefix))
            # vLLM tokenizes a text prompt with special tokens: never send BOS twice
            self.hook_prefix, _ = strip_bos(self.hook_prefix, self.tokenizer.bos_token)
        structured = self._structured_outputs_type() is not None
        #: text-only hook prefixes (Magpie), per system prompt
        self._text_prefixes: dict[str | None, str] = {}
        self.capabilities: frozenset[str] = engine_capabilities(
            self.vision,
            self.hook_prefix,
            *(["json_schema"] if structured else []),
            *text_hook_capability(self.tokenizer, model),
        )
        self.dtype = dtype

    def cache_identity(self) -> dict[str, Any]:
        """What besides model/params/messages changes the answers (for the request cache)."""
        return {"hook_prefix": self.hook_prefix, "dtype": self.dtype}

    def _derive_prefix(self, trust_remote_code: bool) -> str | None:
        """From the processor's template (what vLLM renders for multimodal models), else the
        tokenizer's."""
        sources: list[Any] = []
        try:
            from transformers import AutoProcessor

            processor = AutoProcessor.from_pretrained(
                self.model, trust_remote_code=trust_remote_code
            )
            self.image_token = getattr(processor, "image_token", "") or ""
            if getattr(processor, "chat_template", None):
                sources.append(processor)
        except Exception as exc:  # no processor: fall back to the tokenizer's template
            log.debug("no processor for %s: %s", self.model, exc)
        sources.append(self.tokenizer)
        for source in sources:
            try:
                return derive_hook_prefix(source, model_id=self.model)
            except BackendError as exc:
                self.hook_error = str(exc)
        log.warning("backend %r: %s", self.name, self.hook_error)
        return None

    def _structured_outputs_type(self) -> tuple[str, Any] | None:
        try:  # vLLM >= 0.10.2
            from vllm.sampling_params import StructuredOutputsParams

            return ("structured_outputs", StructuredOutputsParams)
        except ImportError:
            pass
        try:  # older vLLM
            from vllm.sampling_params import GuidedDecodingParams

            return ("guided_decoding", GuidedDecodingParams)
        except ImportError:
            return None

    def _sampling_params(self, params: SamplingParams) -> Any:
        kw = build_sampling_kwargs(params)
        if params.json_schema is not None:
            kind = self._structured_outputs_type()
            if kind is None:
                raise BackendError(f"backend {self.name!r}: this vLLM has no structured outputs")
            kw[kind[0]] = kind[1](json=params.json_schema)
        return self._vllm.SamplingParams(**kw)

    # --- protocol -------------------------------------------------------------------------

    async def generate(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        """Answer every request in order; failures come back as ``Generation.error``."""
        if not requests:
            return []
        return await asyncio.to_thread(self.generate_sync, requests, params)

    async def aclose(self) -> None:
        with self._lock:
            self.llm = None

    def generate_sync(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        """The blocking part: one ``chat`` call for chats, one ``generate`` call for hooks."""
        sampling = self._sampling_params(params)
        results: list[Generation | None] = [None] * len(requests)
        chats: list[tuple[int, Any]] = []
        hooks: list[tuple[int, Any]] = []
        for i, request in enumerate(requests):
            try:
                if request.videos:  # in-process vLLM: the sampled frames, as images
                    if request.hook:
                        raise RequestError("in-process hooking with a video is not supported")
                    request = as_frames(request)
                if request.images and not self.vision:
                    raise RequestError(f"model {self.model} is text-only and cannot take images")
                images = [load_image(ref) for ref in request.images]
                if request.hook and not request.images:
                    prompt = text_hook_prompt(
                        self.tokenizer, request, self._text_prefixes, self.model
                    )
                    hooks.append((i, {"prompt": strip_bos(prompt, self.tokenizer.bos_token)[0]}))
                elif request.hook:
                    if self.hook_prefix is None:
                        raise RequestError(self.hook_error or f"model {self.model} cannot hook")
                    hooks.append(
                        (
                            i,
                            build_prompt_inputs(
                                request, self.hook_prefix, images, self.image_token
                            ),
                        )
                    )
                else:
                    chats.append((i, build_chat_messages(request, images)))
            except (RequestError, BackendError) as exc:
                results[i] = Generation(error=str(exc))
        with self._lock:
            if self.llm is None:
                raise BackendError(f"backend {self.name!r} is closed")
            self._run(chats, sampling, params.logprobs, results, chat=True)
            self._run(hooks, sampling, params.logprobs, results, chat=False)
        return [
            limit_answer(g, self.max_answer_bytes)
            if g is not None
            else Generation(error="not generated")
            for g in results
        ]

    def _run(
        self,
        items: list[tuple[int, Any]],
        sampling: Any,
        logprobs: bool,
        results: list[Generation | None],
        chat: bool,
    ) -> None:
        if not items:
            return
        inputs = [payload for _, payload in items]
        try:
            if chat:
                outputs = self.llm.chat(inputs, sampling, use_tqdm=False)
            else:
                outputs = self.llm.generate(inputs, sampling, use_tqdm=False)
        except Exception as exc:
            if len(items) == 1:
                results[items[0][0]] = Generation(
                    error=f"generation failed: {type(exc).__name__}: {exc}"
                )
                return
            for item in items:  # find the request that broke the batch
                self._run([item], sampling, logprobs, results, chat)
            return
        for (index, _), output in zip(items, outputs, strict=True):
            results[index] = to_generation(output, logprobs)
