"""A backend for OpenAI-compatible HTTP servers: OpenAI, vLLM, SGLang, ``transformers serve``.

Many requests in flight over one pooled aiohttp session (``concurrency`` at most), per-request
timeouts, retries with exponential backoff and jitter on 429/5xx/connection errors/time-outs/
malformed answers (``Retry-After`` honoured), none on other 4xx. A request that keeps failing
comes back as ``Generation(error=...)``: the op rejects that one sample and the run goes on.
A server that cannot be reached at all (connection refused, unknown host: checked at
construction, and again when a request gives up on a connection error) is not a sample's fault:
``BackendUnavailable`` stops the run with one line, finished shards kept for the rerun.

Hooking (an image plus the chat template's pre-query prefix, no query; Oasis) needs a server
that can continue a user turn:

* ``server: vllm``: ``/v1/chat/completions`` with the image and an empty text part,
  ``add_generation_prompt: false, continue_final_message: true``. This is clean only when the
  server runs transformers >= 4.57; older ones leave the end-of-turn token (``<|im_end|>``) after
  the image. The backend checks this once through the server's ``/tokenize`` and refuses to hook
  (with a message saying so) when the rendered prompt ends a turn.
* ``server: sglang``: native ``/generate`` with ``text`` = the hook prefix and ``image_data``;
  the prefix comes from the spec's ``hook_prefix`` or from ``/get_model_info`` and the table of
  known model families.
* ``server: openai`` (OpenAI, ``transformers serve``, most proxies) cannot hook: ops that need
  it fail at setup with one clear line, and a hook request such a server refuses (HTTP 422)
  gets the same message.

``server: auto`` (default) asks the server at construction (``GET /version`` answers on vLLM,
``GET /get_model_info`` on SGLang; anything else is a plain OpenAI-compatible server).

The API key is read from the environment variable named by ``api_key_env``; it is sent in the
``Authorization`` header only, never logged, never put in errors, outputs or cache keys.

The modules: ``openai.py`` the backend (settings, generate), ``openai_requests.py`` request
bodies and answer parsing, ``openai_images.py`` image data URLs, ``openai_transport.py`` server
detection, session and retries, ``openai_hook.py`` hooking.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import TYPE_CHECKING, Any, Literal

from pydantic import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

from mmrecipe.backends.base import ChatRequest, Generation, SamplingParams
from mmrecipe.backends.openai_hook import HookSupport
from mmrecipe.backends.openai_images import ImageCache
from mmrecipe.backends.openai_requests import (
    IMAGE_PLACEHOLDER,
    chat_body,
    chat_messages,
    image_part,
    parse_chat,
    parse_sglang,
    sglang_body,
)
from mmrecipe.backends.openai_transport import HTTPTransport
from mmrecipe.backends.text_hook import known_text_prefix, text_hook_lead
from mmrecipe.backends.video_input import (
    VideoInput,
    as_frames,
    resolve_mode,
    video_data_url,
    video_hook_prefix,
    video_part,
    with_video_parts,
)
from mmrecipe.errors import BackendError

if TYPE_CHECKING:  # imported where used (the transport): checking a recipe must not load it
    import aiohttp
from mmrecipe.limits import DEFAULT_MAX_ANSWER_BYTES, limit_answer
from mmrecipe.stats import record_usage

log = logging.getLogger(__name__)

ServerKind = Literal["openai", "vllm", "sglang", "auto"]

__all__ = ["IMAGE_PLACEHOLDER", "OpenAIBackend", "ServerKind"]


class OpenAIBackend(HTTPTransport, HookSupport):
    """Chat requests to an OpenAI-compatible server; hooking on vLLM and SGLang servers.

    Args:
        name: the backend's name in the recipe
        model: the model name the server expects
        base_url: e.g. ``http://localhost:8000/v1`` (``/v1`` is added when missing)
        server: ``vllm``, ``sglang``, ``openai`` (plain) or ``auto`` (ask the server)
        api_key_env: environment variable holding the API key (never written anywhere)
        concurrency: requests in flight at most (also the connection pool size)
        timeout_s: seconds one attempt may take in all
        max_retries: attempts after the first for retryable failures
        connect_timeout_s: seconds to open a connection
        extra_body: fields merged into every request body (engine-specific options)
        hook_prefix: the model's pre-query prefix for SGLang hooking (derived when left out)
        text_hook_prefix: the text-only pre-query prefix for SGLang (Magpie; default: the
            known text family's, ``backends/text_hook.py``)
        backoff_s: first retry delay; doubles each attempt, with full jitter
        max_backoff_s: longest delay between attempts (``Retry-After`` may ask for up to 120 s)
        image_cache_size: encoded images kept for reuse across requests
        vision: False for a text-only model (ops that send images then fail at setup)
        max_answer_bytes: an answer text larger than this is rejected (``answer_too_large``);
            the HTTP body is read only up to a bound derived from it
        video_input: how videos are sent: ``video_url`` parts (vLLM, SGLang video models),
            ``frames`` (the sampled frames as images), ``auto`` (video parts on vLLM/SGLang,
            frames elsewhere); see backends/video_input.py
        max_video_bytes: a larger video is not sent as a part (the request fails, one reject)
    """

    #: this backend records its own usage (requests, tokens, errors, retries) into the step
    records_usage = True

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        server: ServerKind = "auto",
        api_key_env: str | None = None,
        concurrency: PositiveInt = 64,
        timeout_s: PositiveFloat = 120.0,
        max_retries: NonNegativeInt = 5,
        connect_timeout_s: PositiveFloat = 10.0,
        extra_body: dict[str, Any] | None = None,
        hook_prefix: str | None = None,
        text_hook_prefix: str | None = None,
        backoff_s: NonNegativeFloat = 1.0,
        max_backoff_s: NonNegativeFloat = 30.0,
        image_cache_size: PositiveInt = 256,
        vision: bool = True,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        video_input: VideoInput = "auto",
        max_video_bytes: PositiveInt = 64 * 1024 * 1024,
    ) -> None:
        if server not in ("openai", "vllm", "sglang", "auto"):
            raise BackendError(
                f"backend {name!r}: server must be openai, vllm, sglang or auto, got {server!r}"
            )
        if concurrency < 1:
            raise BackendError(f"backend {name!r}: concurrency must be >= 1")
        if not timeout_s > 0 or not connect_timeout_s > 0:
            raise BackendError(f"backend {name!r}: timeout_s and connect_timeout_s must be > 0")
        self.name = name
        self.model = model
        base = base_url.rstrip("/")
        self.root_url = base[: -len("/v1")] if base.endswith("/v1") else base
        self.base_url = self.root_url + "/v1"
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.connect_timeout_s = connect_timeout_s
        self.extra_body = dict(extra_body or {})
        self.hook_prefix = hook_prefix
        self.text_hook_prefix = text_hook_prefix
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_answer_bytes = int(max_answer_bytes)
        self._api_key: str | None = None
        if api_key_env:
            self._api_key = _read_api_key(name, api_key_env)
        if server != "auto":
            self._check_reachable()
        self.server: Literal["openai", "vllm", "sglang"] = (
            self._probe() if server == "auto" else server
        )
        caps = {"logprobs", "json_schema"} | ({"vision"} if vision else set())
        if self.server in ("vllm", "sglang"):
            caps.update(("hook", "text_hook"))
        #: how videos are sent: video parts (vLLM, SGLang) or sampled frames as images
        self.video_input = resolve_mode(video_input, self.server, name) if vision else "frames"
        self.max_video_bytes = int(max_video_bytes)
        if vision:
            caps.add("video")
        self.capabilities: frozenset[str] = frozenset(caps)
        self._images = ImageCache(image_cache_size)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem: asyncio.Semaphore | None = None
        self._hook_lock: asyncio.Lock | None = None
        self._hook_checked = False
        #: set when hooking proved impossible on this server: every hook request gets it
        self._hook_error: str | None = None
        self._warned_ignored = False

    def __repr__(self) -> str:
        return f"OpenAIBackend(name={self.name!r}, model={self.model!r}, server={self.server!r})"

    def cache_identity(self) -> dict[str, Any]:
        """What besides model/params/messages changes the answers (for the request cache)."""
        return {
            "extra_body": self.extra_body,
            "hook_prefix": self.hook_prefix,
            "text_hook_prefix": self.text_hook_prefix,
        }

    # generate ---------------------------------------------------------------------------
    async def generate(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        """Answer every request (same order); failures come back as ``Generation.error``."""
        if not requests:
            return []
        self._ensure_session()
        self._warn_ignored(params)
        results = await asyncio.gather(*(self._answer(r, params) for r in requests))
        gens = [g for g, _ in results]
        record_usage(
            self.name,
            requests=len(gens),
            prompt_tokens=sum(g.prompt_tokens for g in gens),
            completion_tokens=sum(g.completion_tokens for g in gens),
            errors=sum(1 for g in gens if g.error),
            retries=sum(r for _, r in results),
        )
        return gens

    async def _answer(self, request: ChatRequest, params: SamplingParams) -> tuple[Generation, int]:
        try:
            url, body, parse = await self._prepare(request, params)
        except (OSError, ValueError, BackendError) as exc:
            return Generation(error=self._redact(str(exc))), 0
        if url is None:
            return Generation(error=self._hook_error or self._hook_message()), 0
        payload = json.dumps(body).encode()
        gen, retries = await self._send(url, payload, parse, request.hook, self._body_limit(params))
        return limit_answer(gen, self.max_answer_bytes), retries

    def _body_limit(self, p: SamplingParams) -> int:
        """The most HTTP body bytes read for one answer: JSON escaping (up to 6 bytes a
        character), ``n`` outputs and logprobs grow the body beyond the answer texts."""
        if self.max_answer_bytes <= 0:
            return 0
        per_text = 6 * self.max_answer_bytes * (8 if p.logprobs else 1)
        return per_text * max(1, p.n) + 64 * 1024

    async def _prepare(
        self, request: ChatRequest, params: SamplingParams
    ) -> tuple[str | None, dict[str, Any], Any]:
        """The URL, body and response parser of a request (URL None: hooking refused)."""
        if request.videos and self.video_input == "frames":
            request = as_frames(request)
        videos = [video_data_url(v, self.max_video_bytes) for v in request.videos]
        urls = [await self._images.data_url(ref) for ref in request.images]
        if not request.hook:
            messages = chat_messages(request, urls)
            if videos:
                messages = with_video_parts(messages, videos)
            body = chat_body(self.model, self.server, self.extra_body, messages, params)
            return self.base_url + "/chat/completions", body, parse_chat
        if self.server == "openai":
            return None, {}, None
        if self.server == "vllm":
            await self._check_vllm_hook()
            if self._hook_error:
                return None, {}, None
            system = [m for m in request.messages if m.get("role") == "system"]
            content: list[dict[str, Any]] = [image_part(u) for u in urls]
            content += [video_part(u) for u in videos]
            content.append({"type": "text", "text": text_hook_lead(request)})
            messages = [*system, {"role": "user", "content": content}]
            body = chat_body(self.model, self.server, self.extra_body, messages, params)
            body["add_generation_prompt"] = False
            body["continue_final_message"] = True
            return self.base_url + "/chat/completions", body, parse_chat
        if not urls and not videos:  # text-only hooking (Magpie): the text family's template
            text = known_text_prefix(self.model, request, self.text_hook_prefix)
            return (
                self.root_url + "/generate",
                sglang_body(self.model, self.extra_body, text, [], params),
                parse_sglang,
            )
        prefix = await self._sglang_prefix()
        if videos:  # the family's video placeholder; SGLang's native video_data
            body = sglang_body(
                self.model, self.extra_body, video_hook_prefix(self.model, prefix), [], params
            )
            body.pop("image_data", None)
            body["video_data"] = videos[0] if len(videos) == 1 else videos
            return self.root_url + "/generate", body, parse_sglang
        body = sglang_body(self.model, self.extra_body, prefix, urls, params)
        return self.root_url + "/generate", body, parse_sglang

    # helpers ----------------------------------------------------------------------------
    def _warn_ignored(self, p: SamplingParams) -> None:
        if self.server != "openai" or self._warned_ignored:
            return
        ignored = [
            k
            for k, v in (
                ("top_k", p.top_k),
                ("min_tokens", p.min_tokens),
                ("repetition_penalty", p.repetition_penalty),
                ("banned_tokens", p.banned_tokens or None),
            )
            if v is not None
        ]
        if ignored:
            self._warned_ignored = True
            log.warning(
                "%s: a plain OpenAI-compatible server takes no %s; they are not sent "
                "(set server: vllm or sglang if the server is one)",
                self.name,
                ", ".join(ignored),
            )


def _read_api_key(name: str, env: str) -> str:
    """The key in ``env``, stripped of surrounding whitespace (a trailing ``\r`` from a Windows
    file would otherwise reach an HTTP header and, through its error, a traceback); a key with
    whitespace or control characters inside is refused with a message that never shows it."""
    key = (os.environ.get(env) or "").strip()
    if not key:
        raise BackendError(f"backend {name!r}: environment variable {env} (api_key_env) is not set")
    if any(c.isspace() or not c.isprintable() for c in key):
        raise BackendError(
            f"backend {name!r}: the API key in {env} holds spaces or control characters "
            f"inside it ({len(key)} characters); set the variable to the key alone"
        )
    return key
