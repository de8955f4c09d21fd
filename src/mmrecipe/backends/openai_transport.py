"""The HTTP side of ``OpenAIBackend``: server detection and reachability, the pooled aiohttp
session, and sending one request with retries (exponential backoff with full jitter,
``Retry-After`` honoured, none on 4xx but 408/409/425/429), bounded reads and the API key kept
out of everything the server sends back. A mixin, apart from request building and hooking."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Literal

from mmrecipe.backends.base import Generation
from mmrecipe.backends.openai_hook import hook_refused, known_prefix
from mmrecipe.errors import BackendError, BackendUnavailable
from mmrecipe.limits import too_large

if TYPE_CHECKING:  # imported where used: checking a recipe must not load aiohttp
    import aiohttp

log = logging.getLogger("mmrecipe.backends.openai")

#: HTTP statuses worth retrying
RETRY_STATUSES = {408, 409, 425, 429}


class Retryable(Exception):
    """A failed attempt that may succeed later."""

    def __init__(
        self, reason: str, retry_after: float | None = None, *, transient: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        #: a transport failure (the next run retries); False for a server's malformed answers
        self.transient = transient


class Fatal(Exception):
    """A failed attempt that will fail again (4xx other than 408/429)."""


class HTTPTransport:
    """Server detection, the session, and one request sent with retries."""

    name: str
    model: str
    root_url: str
    base_url: str
    concurrency: int
    timeout_s: float
    connect_timeout_s: float
    max_retries: int
    backoff_s: float
    max_backoff_s: float
    max_answer_bytes: int
    hook_prefix: str | None
    _api_key: str | None
    _session: aiohttp.ClientSession | None
    _loop: asyncio.AbstractEventLoop | None
    _sem: asyncio.Semaphore | None
    _hook_lock: asyncio.Lock | None
    _hook_error: str | None

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
        import aiohttp

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
                self.hook_prefix = known_prefix(str(body["model_path"]))
            return "sglang"
        return "openai"

    # the session ------------------------------------------------------------------------
    def _ensure_session(self) -> aiohttp.ClientSession:
        import aiohttp

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

    # one request, with retries ----------------------------------------------------------
    async def _send(
        self, url: str, payload: bytes, parse: Any, hook: bool, body_limit: int = 0
    ) -> tuple[Generation, int]:
        import aiohttp

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
                    raw = await read_bounded(resp, body_limit)
                if raw is None:
                    return too_large(body_limit, self.max_answer_bytes), attempt
                if status == 200:
                    try:
                        return self._redact_answer(parse(json.loads(raw))), attempt
                    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                        raise Retryable("malformed response from server", transient=False) from None
                snippet = self._redact(raw[:300].decode("utf-8", "replace").strip())
                if status in RETRY_STATUSES or status >= 500:
                    retry_after = parse_retry_after(retry_header)
                    raise Retryable(f"HTTP {status}: {snippet}", retry_after)
                if hook and status in (400, 404, 405, 422):
                    answered = f" (the server answered HTTP {status})"
                    self._hook_error = hook_refused(self.name, self.model) + answered
                    return Generation(error=self._hook_error), attempt
                raise Fatal(f"HTTP {status}: {snippet}")
            except Fatal as exc:
                return Generation(error=str(exc)), attempt
            except Retryable as exc:
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

    # the API key never comes back out -------------------------------------------------
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


async def read_bounded(resp: aiohttp.ClientResponse, limit: int) -> bytes | None:
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


def parse_retry_after(value: str | None) -> float | None:
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
