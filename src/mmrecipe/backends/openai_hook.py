"""Hooking on an OpenAI-compatible server (an image plus the chat template's pre-query prefix,
no query; Oasis): the one-time check that a vLLM server leaves a continued turn open, the SGLang
hook prefix, and the message a server that cannot hook gets. A mixin of ``OpenAIBackend``, apart
from the transport so that what hooking needs from a server reads in one place."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from mmrecipe.backends.base import require
from mmrecipe.backends.hooking import END_OF_TURN, known_family
from mmrecipe.errors import BackendError

if TYPE_CHECKING:  # imported where used: checking a recipe must not load aiohttp
    import aiohttp

log = logging.getLogger("mmrecipe.backends.openai")


def hook_refused(name: str, model: str) -> str:
    """The one-line message ``require(backend, "hook")`` gives for a backend that can't hook."""
    probe = _NoCaps(name, model)
    try:
        require(probe, "hook")
    except BackendError as exc:
        return str(exc)
    raise AssertionError("unreachable")


class HookSupport:
    """Hook checks and prefixes; uses the transport's session and ``_headers`` (``HTTPTransport``)."""

    name: str
    model: str
    root_url: str
    timeout_s: float
    hook_prefix: str | None
    _session: aiohttp.ClientSession | None
    _hook_lock: asyncio.Lock | None
    _hook_checked: bool
    _hook_error: str | None

    def _hook_message(self) -> str:
        return hook_refused(self.name, self.model)

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
        import aiohttp

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
        import aiohttp

        if self.hook_prefix is None:
            assert self._session is not None
            try:
                async with self._session.get(
                    self.root_url + "/get_model_info",
                    headers=self._headers(),
                    timeout=aiohttp.ClientTimeout(total=min(self.timeout_s, 30)),
                ) as resp:
                    info = await resp.json()
                self.hook_prefix = known_prefix(str(info.get("model_path", "")))
            except (TimeoutError, aiohttp.ClientError, ValueError, AttributeError):
                pass
        if self.hook_prefix is None:
            raise BackendError(
                f"backend {self.name!r}: hooking on SGLang needs the model's pre-query prefix and "
                f"{self.model!r} is not a known family: set hook_prefix in the backend spec "
                "(the chat template for one user turn, cut right after the image)"
            )
        return self.hook_prefix


class _NoCaps:
    """Stands in for a backend without capabilities, to reuse ``require``'s message."""

    capabilities: frozenset[str] = frozenset()

    def __init__(self, name: str, model: str) -> None:
        self.name = name
        self.model = model


def known_prefix(model_path: str) -> str | None:
    """The whole hook prefix of a known model family (only families known exactly)."""
    family = known_family(model_path)
    return family.tail if family is not None and family.exact else None
