"""In-process backend on Hugging Face transformers: batched ``generate`` with left padding.

For one-GPU runs, debugging, and CPU smoke tests with the tiny random model. Chat requests go
through the processor's chat template; hook requests are rendered by the sentinel method
(``hooking.derive_hook_prefix``), because transformers' ``continue_final_message`` refuses an
image-only final message. Generation runs in a worker thread under a lock so the event loop
stays free and one model never runs two batches at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import PositiveInt

from mmrecipe.backends.base import ChatRequest, Generation, SamplingParams, engine_capabilities
from mmrecipe.backends.hooking import check_against_known, derive_hook_prefix
from mmrecipe.backends.inputs import RequestError, for_template, load_image, to_parts
from mmrecipe.backends.text_hook import text_hook_capability, text_hook_prompt
from mmrecipe.backends.video_input import (
    as_frames,
    processor_video_mode,
    video_frames,
    video_template_parts,
)
from mmrecipe.errors import BackendError
from mmrecipe.limits import DEFAULT_MAX_ANSWER_BYTES, limit_answer

log = logging.getLogger(__name__)


@dataclass
class _Prepared:
    """One request ready for the processor (or the reason it cannot run)."""

    index: int
    prompt: str = ""
    images: list[Any] = field(default_factory=list)
    #: per video, its sampled frames (RGB PIL images), for the processor's ``videos=``
    videos: list[list[Any]] = field(default_factory=list)
    add_special_tokens: bool = True
    error: str | None = None


class TransformersBackend:
    """A transformers model in this process (``type: transformers`` in a recipe).

    Args:
        name: the backend's name in the recipe.
        model: a local folder, or a hub id already in the local cache (nothing is downloaded
            unless ``local_files_only`` is False).
        device: "cpu", "cuda", "cuda:N" or "auto" (CUDA when available).
        dtype: "auto" (the checkpoint's), or "float16" / "bfloat16" / "float32".
        batch_size: requests per ``generate`` call.
        hook_prefix: the hooking prefix; derived from the chat template when None.
        trust_remote_code: allow the model's own code (only for models you trust).
        max_images_per_request: a request with more images fails with a clear error.
        max_answer_bytes: an answer larger than this is rejected (``answer_too_large``).
        local_files_only: never reach the hub (the default; this is a batch tool).
    """

    #: the model runs in this process: it batches best when given a whole shard at once
    in_process = True

    def __init__(
        self,
        name: str,
        model: str,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: PositiveInt = 8,
        hook_prefix: str | None = None,
        trust_remote_code: bool = False,
        max_images_per_request: PositiveInt = 8,
        local_files_only: bool = True,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        video_input: Literal["auto", "processor", "frames"] = "auto",
    ) -> None:
        from mmrecipe.heavy_imports import import_heavy

        try:  # backends may be built from several threads: one heavy import at a time
            torch = import_heavy("torch")
            transformers = import_heavy("transformers")
        except ImportError as exc:
            raise BackendError(
                f"backend {name!r}: type 'transformers' needs torch and transformers: "
                "pip install 'mmrecipe[hf]'"
            ) from exc
        self.name = name
        self.model = model
        #: answers larger than this (UTF-8 bytes) are rejected as answer_too_large
        self.max_answer_bytes = int(max_answer_bytes)
        self.batch_size = max(1, int(batch_size))
        self.max_images_per_request = max_images_per_request
        self._torch = torch
        self._lock = threading.Lock()
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        load_kw: dict[str, Any] = {
            "trust_remote_code": trust_remote_code,
            "local_files_only": local_files_only,
        }
        try:
            config = transformers.AutoConfig.from_pretrained(model, **load_kw)
            self.vision = getattr(config, "vision_config", None) is not None
            if self.vision:
                self.processor = transformers.AutoProcessor.from_pretrained(model, **load_kw)
                self.tokenizer = self.processor.tokenizer
                model_cls = transformers.AutoModelForImageTextToText
            else:
                self.processor = transformers.AutoTokenizer.from_pretrained(model, **load_kw)
                self.tokenizer = self.processor
                model_cls = transformers.AutoModelForCausalLM
            torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
            self.engine = model_cls.from_pretrained(model, dtype=torch_dtype, **load_kw)
            self.engine.to(device).eval()
        except (OSError, ValueError) as exc:
            where = "folder" if Path(model).exists() else "model id (local cache only)"
            raise BackendError(
                f"backend {name!r}: cannot load transformers model {model!r} from its {where}: "
                f"{exc}"
            ) from exc
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        #: videos through the processor's ``videos=`` (Qwen2-VL, LLaVA-OneVision, ...) or as
        #: their sampled frames, as images (backends/video_input.py)
        self.video_input = processor_video_mode(video_input, self.processor, name, self.vision)
        self.hook_error: str | None = None
        self.hook_prefix = hook_prefix
        if self.hook_prefix is None and self.vision:
            try:
                self.hook_prefix = derive_hook_prefix(self.processor, model_id=model)
            except BackendError as exc:
                self.hook_error = str(exc)
                log.warning("backend %r: %s", name, exc)
        if self.hook_prefix is not None:
            check = check_against_known(model, self.hook_prefix)
            if check is not None and not check.ok:
                log.warning("backend %r: %s", name, check.describe(self.hook_prefix))
        #: text-only hook prefixes (Magpie), per system prompt
        self._text_prefixes: dict[str | None, str] = {}
        self.capabilities: frozenset[str] = engine_capabilities(
            self.vision, self.hook_prefix, *text_hook_capability(self._text_template(), model)
        )
        self.dtype = dtype

    def _text_template(self) -> Any:
        """The tokenizer when it has a chat template (text-only turns), else the processor."""
        return self.tokenizer if getattr(self.tokenizer, "chat_template", None) else self.processor

    def cache_identity(self) -> dict[str, Any]:
        """What besides model/params/messages changes the answers (for the request cache)."""
        return {"hook_prefix": self.hook_prefix, "dtype": self.dtype}

    # --- protocol -------------------------------------------------------------------------

    async def generate(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        """Answer every request in order; failures come back as ``Generation.error``."""
        if not requests:
            return []
        return await asyncio.to_thread(self.generate_sync, requests, params)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Free the model (GPU memory) now rather than at garbage collection."""
        with self._lock:
            self.engine = None
            if self.device.startswith("cuda"):
                self._torch.cuda.empty_cache()

    # --- work -----------------------------------------------------------------------------

    def generate_sync(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        """The blocking part of ``generate`` (one batch at a time per model)."""
        results: list[Generation | None] = [None] * len(requests)
        ready: list[_Prepared] = []
        for i, request in enumerate(requests):
            prepared = self._prepare(i, request)
            if prepared.error is not None:
                results[i] = Generation(error=prepared.error)
            else:
                ready.append(prepared)
        with self._lock:
            if self.engine is None:
                raise BackendError(f"backend {self.name!r} is closed")
            for start in range(0, len(ready), self.batch_size):
                chunk = ready[start : start + self.batch_size]
                for prep, gen in zip(chunk, self._run_chunk(chunk, params), strict=True):
                    results[prep.index] = gen
        return [
            limit_answer(g, self.max_answer_bytes)
            if g is not None
            else Generation(error="not generated")
            for g in results
        ]

    def _prepare(self, index: int, request: ChatRequest) -> _Prepared:
        prep = _Prepared(index=index)
        try:
            if len(request.images) > self.max_images_per_request:
                raise RequestError(
                    f"{len(request.images)} images, over max_images_per_request="
                    f"{self.max_images_per_request}"
                )
            if request.videos and not self.vision:
                raise RequestError(f"model {self.model} is text-only and cannot take videos")
            if request.videos and self.video_input == "frames":
                request = as_frames(request)
            if request.images and not self.vision:
                raise RequestError(f"model {self.model} is text-only and cannot take images")
            if request.hook and request.videos:
                raise RequestError("in-process hooking with a video is not supported")
            if request.hook and not request.images and not request.videos:
                prep.prompt = text_hook_prompt(
                    self._text_template(), request, self._text_prefixes, self.model
                )
            elif request.hook:
                prep.prompt = self._hook_prompt(request)
            else:
                messages = for_template(to_parts(request))
                if request.videos:
                    messages = video_template_parts(messages, len(request.videos))
                continue_final = bool(messages) and messages[-1]["role"] == "assistant"
                prep.prompt = self.processor.apply_chat_template(
                    messages if self.vision else _flatten_text(messages),
                    tokenize=False,
                    add_generation_prompt=not continue_final,
                    continue_final_message=continue_final,
                )
            prep.images = [load_image(ref) for ref in request.images]
            prep.videos = [video_frames(v) for v in request.videos]
        except (RequestError, BackendError) as exc:
            prep.error = str(exc)
        except Exception as exc:  # a template that refuses these messages, etc.
            prep.error = f"cannot build the prompt: {type(exc).__name__}: {exc}"
        bos = self.tokenizer.bos_token
        prep.add_special_tokens = not (bos and prep.prompt.startswith(bos))
        return prep

    def _hook_prompt(self, request: ChatRequest) -> str:
        if self.hook_prefix is None:
            raise RequestError(
                self.hook_error or f"model {self.model} cannot hook: it takes no images"
            )
        expected = self.hook_prefix.count(getattr(self.processor, "image_token", "<image>"))
        if expected and len(request.images) != expected:
            raise RequestError(
                f"a hook request takes exactly {expected} image(s) (the hook prefix has "
                f"{expected} placeholder(s)), got {len(request.images)}"
            )
        return self.hook_prefix

    def _run_chunk(self, chunk: list[_Prepared], params: SamplingParams) -> list[Generation]:
        groups: dict[bool, list[_Prepared]] = {}
        for prep in chunk:
            groups.setdefault(prep.add_special_tokens, []).append(prep)
        by_index: dict[int, Generation] = {}
        for add_special, preps in groups.items():
            try:
                gens = self._generate_batch(preps, params, add_special)
            except Exception as exc:
                if len(preps) == 1:
                    gens = [Generation(error=f"generation failed: {type(exc).__name__}: {exc}")]
                else:  # find which request broke the batch; the others still get answers
                    gens = [self._run_chunk([p], params)[0] for p in preps]
            for prep, gen in zip(preps, gens, strict=True):
                by_index[prep.index] = gen
        return [by_index[p.index] for p in chunk]

    def _generate_batch(
        self, preps: list[_Prepared], params: SamplingParams, add_special_tokens: bool
    ) -> list[Generation]:
        torch = self._torch
        texts = [p.prompt for p in preps]
        images = [im for p in preps for im in p.images]
        kwargs: dict[str, Any] = {
            "padding": True,
            "return_tensors": "pt",
            "add_special_tokens": add_special_tokens,
        }
        videos = [v for p in preps for v in p.videos]
        if videos:
            kwargs["videos"] = videos
        if self.vision:
            inputs = self.processor(text=texts, images=images or None, **kwargs)
        else:
            inputs = self.processor(texts, **kwargs)
        inputs = inputs.to(self.device)
        prompt_len = int(inputs["input_ids"].shape[1])
        gen_kwargs = self._generation_kwargs(params, prompt_len)
        if params.seed is not None:
            torch.manual_seed(params.seed)
        with torch.inference_mode():
            out = self.engine.generate(**inputs, **gen_kwargs)
        sequences = out.sequences[:, prompt_len:]
        chosen_logprobs = None
        if params.logprobs and sequences.shape[1]:
            # per step, so only one (rows, vocab) matrix is materialized at a time
            chosen_logprobs = torch.stack(
                [
                    torch.log_softmax(step.float(), dim=-1)
                    .gather(1, sequences[:, t : t + 1])
                    .squeeze(1)
                    for t, step in enumerate(out.logits)
                ],
                dim=1,
            ).tolist()
        n = max(1, params.n)
        eos_ids = _eos_ids(self.engine.generation_config, self.tokenizer)
        pad_id = self.tokenizer.pad_token_id
        prompt_counts = inputs["attention_mask"].sum(dim=1).tolist()
        results: list[Generation] = []
        for b, _prep in enumerate(preps):
            gen = Generation(prompt_tokens=int(prompt_counts[b]))
            if params.logprobs:
                gen.token_logprobs = []
            for k in range(n):
                row = b * n + k
                ids = sequences[row].tolist()
                length, reason = _completion_length(ids, eos_ids, pad_id)
                text = self.tokenizer.decode(ids[:length], skip_special_tokens=True)
                text, stopped = _cut_at_stop(text, params.stop)
                gen.texts.append(text)
                gen.finish_reasons.append("stop" if stopped else reason)
                gen.completion_tokens += length
                if gen.token_logprobs is not None:
                    row_lp = chosen_logprobs[row][:length] if chosen_logprobs else []
                    gen.token_logprobs.append(row_lp)
            results.append(gen)
        return results

    def _generation_kwargs(self, params: SamplingParams, prompt_len: int) -> dict[str, Any]:
        from transformers import LogitsProcessorList

        sample = params.temperature > 0
        kw: dict[str, Any] = {
            "max_new_tokens": params.max_tokens,
            "do_sample": sample,
            "num_return_sequences": max(1, params.n),
            "return_dict_in_generate": True,
            "output_logits": params.logprobs,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if sample:
            kw["temperature"] = params.temperature
            kw["top_p"] = params.top_p
            kw["top_k"] = params.top_k if params.top_k is not None else 0
        else:  # greedy: neutralize sampling defaults from generation_config.json
            kw.update(temperature=None, top_p=None, top_k=None)
        if params.min_tokens:
            kw["min_new_tokens"] = params.min_tokens
        if params.repetition_penalty is not None:
            kw["repetition_penalty"] = params.repetition_penalty
        if params.stop:
            kw["stop_strings"] = list(params.stop)
            kw["tokenizer"] = self.tokenizer
        suppress, bad_words = self._banned_ids(params.banned_tokens)
        if suppress:
            kw["suppress_tokens"] = suppress
        if bad_words:
            kw["bad_words_ids"] = bad_words
        if params.frequency_penalty or params.presence_penalty:
            kw["logits_processor"] = LogitsProcessorList(
                [_OpenAIPenalties(prompt_len, params.frequency_penalty, params.presence_penalty)]
            )
        return kw

    def _banned_ids(self, banned: tuple[str, ...]) -> tuple[list[int], list[list[int]]]:
        suppress: list[int] = []
        bad_words: list[list[int]] = []
        for text in banned:
            ids = self.tokenizer.encode(text, add_special_tokens=False)
            if len(ids) == 1:
                suppress.append(ids[0])
            elif ids:
                bad_words.append(ids)
        return suppress, bad_words


class _OpenAIPenalties:
    """OpenAI/vLLM frequency and presence penalties over the generated tokens only."""

    def __init__(self, prompt_len: int, frequency: float, presence: float) -> None:
        self.prompt_len = prompt_len
        self.frequency = frequency
        self.presence = presence

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        generated = input_ids[:, self.prompt_len :]
        if generated.shape[1] == 0:
            return scores
        counts = torch.zeros_like(scores)
        counts.scatter_add_(1, generated, torch.ones_like(generated, dtype=scores.dtype))
        return scores - self.frequency * counts - self.presence * (counts > 0).to(scores.dtype)


def _flatten_text(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Text-only models get string contents (many LLM templates expect them)."""
    return [
        {"role": m["role"], "content": "".join(p.get("text", "") for p in m["content"])}
        for m in messages
    ]


def _eos_ids(generation_config: Any, tokenizer: Any) -> set[int]:
    eos = generation_config.eos_token_id
    ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids


def _completion_length(ids: list[int], eos_ids: set[int], pad_id: int | None) -> tuple[int, str]:
    """Tokens really generated (EOS counted, padding after it not) and the finish reason."""
    for i, tok in enumerate(ids):
        if tok in eos_ids:
            return i + 1, "stop"
    length = len(ids)
    while length and pad_id is not None and ids[length - 1] == pad_id and pad_id not in eos_ids:
        length -= 1  # a row that ended early on a stop string is padded to the batch length
    return length, "length" if length == len(ids) else "stop"


def _cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """OpenAI semantics: the stop string itself is not part of the output."""
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
