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
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import logging
import mimetypes
import os
import random
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

import aiohttp
from pydantic import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

from mmrecipe.backends.base import ChatRequest, Generation, SamplingParams, require
from mmrecipe.backends.hooking import END_OF_TURN, banned_token_bias, known_family
from mmrecipe.backends.video_input import (
    VideoInput,
    as_frames,
    resolve_mode,
    video_data_url,
    video_hook_prefix,
    video_part,
    with_video_parts,
)
from mmrecipe.errors import BackendError, BackendUnavailable
from mmrecipe.limits import DEFAULT_MAX_ANSWER_BYTES, limit_answer, too_large
from mmrecipe.sample import ImageRef
from mmrecipe.stats import record_usage

log = logging.getLogger(__name__)

ServerKind = Literal["openai", "vllm", "sglang", "auto"]

IMAGE_PLACEHOLDER = "<image>"
#: tokens that end a turn: a continued user turn must not end with one
_IMAGE_SEGMENTS = ("<|vision_start|><|image_pad|><|vision_end|>", "<image>")
#: images up to this size are encoded on the event loop, larger ones in a thread
_INLINE_ENCODE_BYTES = 512 * 1024
#: HTTP statuses worth retrying
_RETRY_STATUSES = {408, 409, 425, 429}


class _Retryable(Exception):
    """A failed attempt that may succeed later."""

    def __init__(
        self, reason: str, retry_after: float | None = None, *, transient: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        #: a transport failure (the next run retries); False for a server's malformed answers
        self.transient = transient


class _Fatal(Exception):
    """A failed attempt that will fail again (4xx other than 408/429)."""


class OpenAIBackend:
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
            caps.add("hook")
        #: how videos are sent: video parts (vLLM, SGLang) or sampled frames as images
        self.video_input = resolve_mode(video_input, self.server, name) if vision else "frames"
        self.max_video_bytes = int(max_video_bytes)
        if vision:
            caps.add("video")
        self.capabilities: frozenset[str] = frozenset(caps)
        self._images = _ImageCache(image_cache_size)
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
        return {"extra_body": self.extra_body, "hook_prefix": self.hook_prefix}

    # server detection -------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _get_json_sync(self, path: str, timeout: float) -> tuple[int | None, Any]:
        """(status, parsed body) of a GET; status None when the server cannot be reached."""
        req = urllib.request.Request(self.root_url + path, headers=self._headers())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (urllib.error.URLError, OSError, TimeoutError):
            return None, None
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None

    def _unreachable(self, why: str) -> BackendUnavailable:
        return BackendUnavailable(
            f"backend {self.name!r}: cannot reach {self.base_url} ({why}). Start the server or "
            "fix base_url (--set backends.NAME.base_url=...); rerun the same command to resume."
        )

    def _check_reachable(self) -> None:
        """Fail at start, not with every sample rejected, when nothing answers at base_url."""
        status, _ = self._get_json_sync("/v1/models", min(self.connect_timeout_s, 5.0))
        if status is None:
            raise self._unreachable("no answer to GET /v1/models")

    async def _reachable(self) -> bool:
        """Does anything answer HTTP at the server's address now (any status counts)?"""
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=min(self.connect_timeout_s, 5.0))
        try:
            async with self._session.get(
                self.base_url + "/models", headers=self._headers(), timeout=timeout
            ) as resp:
                await resp.read()
            return True
        except (TimeoutError, aiohttp.ClientError):
            return False

    def _probe(self) -> Literal["openai", "vllm", "sglang"]:
        timeout = min(self.connect_timeout_s, 5.0)
        status, body = self._get_json_sync("/version", timeout)
        if status is None:
            raise BackendError(
                f"backend {self.name!r}: cannot reach {self.root_url} to tell which server it is "
                "(server: auto). Start the server, fix base_url, or set server: vllm|sglang|openai."
            )
        if status == 200 and isinstance(body, dict) and "version" in body:
            return "vllm"
        status, body = self._get_json_sync("/get_model_info", timeout)
        if status == 200 and isinstance(body, dict) and "model_path" in body:
            if self.hook_prefix is None:
                self.hook_prefix = _known_prefix(str(body["model_path"]))
            return "sglang"
        return "openai"

    # the session ------------------------------------------------------------------------
    def _ensure_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency, limit_per_host=self.concurrency, keepalive_timeout=30
            )
            self._session = aiohttp.ClientSession(connector=connector, raise_for_status=False)
            self._loop = loop
            self._sem = asyncio.Semaphore(self.concurrency)
            self._hook_lock = asyncio.Lock()
        return self._session

    async def aclose(self) -> None:
        """Close the pooled session (call inside the loop that used it)."""
        if self._session is not None and not self._session.closed:
            try:
                if self._loop is asyncio.get_running_loop():
                    await self._session.close()
            except RuntimeError:
                pass
        self._session = None

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
            messages = _chat_messages(request, urls)
            body = self._chat_body(
                with_video_parts(messages, videos) if videos else messages, params
            )
            return self.base_url + "/chat/completions", body, _parse_chat
        if self.server == "openai":
            return None, {}, None
        if self.server == "vllm":
            await self._check_vllm_hook()
            if self._hook_error:
                return None, {}, None
            system = [m for m in request.messages if m.get("role") == "system"]
            content: list[dict[str, Any]] = [_image_part(u) for u in urls]
            content += [video_part(u) for u in videos]
            content.append({"type": "text", "text": ""})
            body = self._chat_body([*system, {"role": "user", "content": content}], params)
            body["add_generation_prompt"] = False
            body["continue_final_message"] = True
            return self.base_url + "/chat/completions", body, _parse_chat
        prefix = await self._sglang_prefix()
        if videos:  # the family's video placeholder; SGLang's native video_data
            body = self._sglang_body(video_hook_prefix(self.model, prefix), [], params)
            body.pop("image_data")
            body["video_data"] = videos[0] if len(videos) == 1 else videos
            return self.root_url + "/generate", body, _parse_sglang
        return self.root_url + "/generate", self._sglang_body(prefix, urls, params), _parse_sglang

    def _chat_body(self, messages: list[dict[str, Any]], p: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": p.temperature,
            "top_p": p.top_p,
            "max_tokens": p.max_tokens,
        }
        if p.n != 1:
            body["n"] = p.n
        if p.seed is not None:
            body["seed"] = p.seed
        if p.stop:
            body["stop"] = list(p.stop)
        if p.logprobs:
            body["logprobs"] = True
        if p.frequency_penalty:
            body["frequency_penalty"] = p.frequency_penalty
        if p.presence_penalty:
            body["presence_penalty"] = p.presence_penalty
        if p.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": p.json_schema},
            }
        if self.server in ("vllm", "sglang"):
            if p.top_k is not None:
                body["top_k"] = p.top_k
            if p.min_tokens is not None:
                body["min_tokens"] = p.min_tokens
            if p.repetition_penalty is not None:
                body["repetition_penalty"] = p.repetition_penalty
            if p.banned_tokens and self.server == "vllm":
                body["bad_words"] = list(p.banned_tokens)
        body.update(self.extra_body)
        return body

    def _sglang_body(self, prefix: str, urls: list[str], p: SamplingParams) -> dict[str, Any]:
        if len(urls) > 1:
            for segment in _IMAGE_SEGMENTS:
                if prefix.count(segment) == 1:
                    prefix = prefix.replace(segment, segment * len(urls))
                    break
        sampling: dict[str, Any] = {
            "temperature": p.temperature,
            "top_p": p.top_p,
            "max_new_tokens": p.max_tokens,
            "n": p.n,
        }
        if p.top_k is not None:
            sampling["top_k"] = p.top_k
        if p.min_tokens is not None:
            sampling["min_new_tokens"] = p.min_tokens
        if p.stop:
            sampling["stop"] = list(p.stop)
        if p.frequency_penalty:
            sampling["frequency_penalty"] = p.frequency_penalty
        if p.presence_penalty:
            sampling["presence_penalty"] = p.presence_penalty
        if p.repetition_penalty is not None:
            sampling["repetition_penalty"] = p.repetition_penalty
        if p.seed is not None:
            sampling["sampling_seed"] = p.seed
        if p.banned_tokens:
            sampling["logit_bias"] = banned_token_bias(self.model, p.banned_tokens)
        body: dict[str, Any] = {
            "text": prefix,
            "image_data": urls[0] if len(urls) == 1 else urls,
            "sampling_params": sampling,
        }
        if p.logprobs:
            body["return_logprob"] = True
        body.update(self.extra_body)
        return body

    async def _send(
        self, url: str, payload: bytes, parse: Any, hook: bool, body_limit: int = 0
    ) -> tuple[Generation, int]:
        assert self._session is not None and self._sem is not None
        timeout = aiohttp.ClientTimeout(total=self.timeout_s, sock_connect=self.connect_timeout_s)
        headers = self._headers()
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            retry_after: float | None = None
            refused = False
            transient = True
            try:
                async with (
                    self._sem,
                    self._session.post(url, data=payload, headers=headers, timeout=timeout) as resp,
                ):
                    status = resp.status
                    retry_header = resp.headers.get("Retry-After")
                    raw = await _read_bounded(resp, body_limit)
                if raw is None:
                    return too_large(body_limit, self.max_answer_bytes), attempt
                if status == 200:
                    try:
                        return self._redact_answer(parse(json.loads(raw))), attempt
                    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                        raise _Retryable(
                            "malformed response from server", transient=False
                        ) from None
                snippet = self._redact(raw[:300].decode("utf-8", "replace").strip())
                if status in _RETRY_STATUSES or status >= 500:
                    retry_after = _parse_retry_after(retry_header)
                    raise _Retryable(f"HTTP {status}: {snippet}", retry_after)
                if hook and status in (400, 404, 405, 422):
                    answered = f" (the server answered HTTP {status})"
                    self._hook_error = self._hook_message() + answered
                    return Generation(error=self._hook_error), attempt
                raise _Fatal(f"HTTP {status}: {snippet}")
            except _Fatal as exc:
                return Generation(error=str(exc)), attempt
            except _Retryable as exc:
                reason, retry_after = exc.reason, exc.retry_after
                transient = exc.transient
            except TimeoutError:
                reason = f"timed out after {self.timeout_s:g} s"
            except aiohttp.ClientError as exc:
                reason = self._redact(f"{type(exc).__name__}: {exc}") or type(exc).__name__
                refused = isinstance(exc, aiohttp.ClientConnectorError)
            if attempt + 1 >= attempts:
                if refused and not await self._reachable():
                    raise self._unreachable(reason)
                # transport failures are not the sample's: the next run retries them
                error = f"gave up after {attempts} attempt(s): {reason}"
                return Generation(error=error, transient=transient), attempt
            if retry_after is not None:
                delay = min(retry_after, 120.0)
            else:
                delay = random.uniform(0, min(self.max_backoff_s, self.backoff_s * 2**attempt))
            log.debug("%s: retrying in %.2f s: %s", self.name, delay, reason)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    # hooking ----------------------------------------------------------------------------
    def _hook_message(self) -> str:
        """The one-line message ``require(backend, "hook")`` gives for a backend that can't hook."""
        probe = _NoCaps(self.name, self.model)
        try:
            require(probe, "hook")
        except BackendError as exc:
            return str(exc)
        raise AssertionError("unreachable")

    async def _check_vllm_hook(self) -> None:
        """Once per session: does the server's chat template end a continued turn cleanly?"""
        if self._hook_checked:
            return
        assert self._hook_lock is not None and self._session is not None
        async with self._hook_lock:
            if self._hook_checked:
                return
            rendered = await self._render_continued()
            self._hook_checked = True
            if rendered is None:
                log.warning(
                    "%s: could not check the server's chat template for hooking (/tokenize "
                    "unavailable); it needs transformers >= 4.57 on the server",
                    self.name,
                )
                return
            tail = rendered.rstrip()
            if tail.endswith(END_OF_TURN):
                self._hook_error = (
                    f"backend {self.name!r} ({self.model}): the vLLM server ends the hooked user "
                    f"turn with {tail[-12:]!r} instead of leaving it open (its transformers is "
                    "older than 4.57). Upgrade transformers on the server to >= 4.57, or hook "
                    "with an SGLang server (server: sglang) or in-process backend."
                )

    async def _render_continued(self) -> str | None:
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=min(self.timeout_s, 30))
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}],
            "add_generation_prompt": False,
            "continue_final_message": True,
        }
        try:
            async with self._session.post(
                self.root_url + "/tokenize", json=body, headers=self._headers(), timeout=timeout
            ) as resp:
                if resp.status != 200:
                    return None
                tokens = (await resp.json())["tokens"]
            async with self._session.post(
                self.root_url + "/detokenize",
                json={"model": self.model, "tokens": tokens},
                headers=self._headers(),
                timeout=timeout,
            ) as resp:
                if resp.status != 200:
                    return None
                return str((await resp.json())["prompt"])
        except (TimeoutError, aiohttp.ClientError, ValueError, KeyError, TypeError):
            return None

    async def _sglang_prefix(self) -> str:
        if self.hook_prefix is None:
            assert self._session is not None
            try:
                async with self._session.get(
                    self.root_url + "/get_model_info",
                    headers=self._headers(),
                    timeout=aiohttp.ClientTimeout(total=min(self.timeout_s, 30)),
                ) as resp:
                    info = await resp.json()
                self.hook_prefix = _known_prefix(str(info.get("model_path", "")))
            except (TimeoutError, aiohttp.ClientError, ValueError, AttributeError):
                pass
        if self.hook_prefix is None:
            raise BackendError(
                f"backend {self.name!r}: hooking on SGLang needs the model's pre-query prefix and "
                f"{self.model!r} is not a known family: set hook_prefix in the backend spec "
                "(the chat template for one user turn, cut right after the image)"
            )
        return self.hook_prefix

    # helpers ----------------------------------------------------------------------------
    def _redact_answer(self, gen: Generation) -> Generation:
        """A server that echoes the API key back (a proxy's debug output, a model repeating
        its headers) must not plant it in answers, the cache, outputs or the report."""
        if self._api_key and any(self._api_key in t for t in gen.texts):
            gen.texts = [self._redact(t) for t in gen.texts]
        return gen

    def _redact(self, text: str) -> str:
        if self._api_key and self._api_key in text:
            text = text.replace(self._api_key, "***")
        return text

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


class _NoCaps:
    """Stands in for a backend without capabilities, to reuse ``require``'s message."""

    capabilities: frozenset[str] = frozenset()

    def __init__(self, name: str, model: str) -> None:
        self.name = name
        self.model = model


class _ImageCache:
    """Base64 data URLs of images, each file read and encoded once (LRU, bounded)."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._urls: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._pending: dict[tuple[Any, ...], asyncio.Future[str]] = {}
        self.encoded = 0

    async def data_url(self, ref: ImageRef) -> str:
        path = ref.path
        if path.startswith("data:"):
            return path
        if path[:8].lower().startswith(("http://", "https://")):
            # a server must never be handed a URL mmrecipe did not fetch itself
            raise ValueError(
                f"image {path[:200]!r} is a URL: readers download those into the run dir "
                "(input.allow_remote: true); it is not forwarded to the server"
            )
        if ref.sha256:
            key: tuple[Any, ...] = (path, ref.sha256)
        else:
            st = os.stat(path)
            key = (path, st.st_mtime_ns, st.st_size)
        url = self._urls.get(key)
        if url is not None:
            self._urls.move_to_end(key)
            return url
        size = ref.size_bytes if ref.size_bytes is not None else os.path.getsize(path)
        if size <= _INLINE_ENCODE_BYTES:
            # small files: encoding inline (well under a millisecond) beats a thread hop
            url = _encode(path, ref.format)
        else:
            pending = self._pending.get(key)
            if pending is not None:
                return await asyncio.shield(pending)
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._pending[key] = future
            try:
                url = await asyncio.to_thread(_encode, path, ref.format)
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters re-raise it
                raise
            finally:
                self._pending.pop(key, None)
            future.set_result(url)
        self.encoded += 1
        self._urls[key] = url
        while len(self._urls) > self.size:
            self._urls.popitem(last=False)
        return url


async def _read_bounded(resp: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The response body, or None once it passes ``limit`` bytes (0: no limit): a server
    cannot make the client hold an answer of any size in memory."""
    if limit <= 0:
        return await resp.read()
    length = resp.content_length
    if length is not None and length > limit:
        return None
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(256 * 1024):
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _encode(path: str, fmt: str | None) -> str:
    data = Path(path).read_bytes()
    mime = f"image/{fmt.lower()}" if fmt else mimetypes.guess_type(path)[0] or "image/png"
    if mime == "image/jpg":
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def _chat_messages(request: ChatRequest, urls: list[str]) -> list[dict[str, Any]]:
    """OpenAI messages: ``<image>`` placeholders become image parts, in order; images without a
    placeholder go before the text of the first user message."""
    pending = list(urls)
    out: list[dict[str, Any]] = []
    for msg in request.messages:
        content = msg.get("content")
        if isinstance(content, str) and IMAGE_PLACEHOLDER in content and pending:
            parts: list[dict[str, Any]] = []
            pieces = content.split(IMAGE_PLACEHOLDER)
            for i, piece in enumerate(pieces):
                if i > 0:
                    if pending:
                        parts.append(_image_part(pending.pop(0)))
                        piece = piece.lstrip("\n")
                    else:
                        piece = IMAGE_PLACEHOLDER + piece
                if i < len(pieces) - 1:
                    piece = piece.rstrip("\n")
                if piece:
                    parts.append({"type": "text", "text": piece})
            out.append({**msg, "content": parts})
        else:
            out.append(dict(msg))
    if pending:
        first_user = next((m for m in out if m.get("role") == "user"), None)
        if first_user is None:
            first_user = {"role": "user", "content": ""}
            out.append(first_user)
        content = first_user.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}] if content else []
        first_user["content"] = [_image_part(u) for u in pending] + list(content or [])
    return out


def _parse_chat(data: dict[str, Any]) -> Generation:
    choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
    if not choices:
        raise ValueError("no choices")
    texts = [c["message"].get("content") or "" for c in choices]
    logprobs = None
    if any(c.get("logprobs") for c in choices):
        logprobs = [
            [float(t["logprob"]) for t in ((c.get("logprobs") or {}).get("content") or [])]
            for c in choices
        ]
    usage = data.get("usage") or {}
    return Generation(
        texts=texts,
        token_logprobs=logprobs,
        finish_reasons=[str(c.get("finish_reason") or "") for c in choices],
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )


def _parse_sglang(data: Any) -> Generation:
    items = data if isinstance(data, list) else [data]
    if not items:
        raise ValueError("empty answer")
    texts, finishes, logprobs = [], [], []
    completion = 0
    for item in items:
        meta = item.get("meta_info") or {}
        texts.append(str(item["text"]))
        finish = meta.get("finish_reason")
        if isinstance(finish, dict):
            finish = finish.get("type")
        finishes.append(str(finish or ""))
        completion += int(meta.get("completion_tokens") or 0)
        if "output_token_logprobs" in meta:
            logprobs.append([float(x[0]) for x in meta["output_token_logprobs"]])
    meta0 = items[0].get("meta_info") or {}
    return Generation(
        texts=texts,
        token_logprobs=logprobs or None,
        finish_reasons=finishes,
        prompt_tokens=int(meta0.get("prompt_tokens") or 0),
        completion_tokens=completion,
    )


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds, fractional allowed, or a date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _known_prefix(model_path: str) -> str | None:
    """The whole hook prefix of a known model family (only families known exactly)."""
    family = known_family(model_path)
    return family.tail if family is not None and family.exact else None
