"""An OpenAI-compatible image server as a generation backend (``type: openai_images``):
``POST /v1/images/generations`` (JSON) for text-to-image, ``POST /v1/images/edits``
(multipart: ``image``, optional ``mask``, ``prompt``) for edits and inpainting.

OpenAI's mask marks the region to repaint with fully transparent pixels; the backend turns the
op's white-is-change mask into that. Answers come as ``b64_json`` (or a ``url`` on the same
server, never fetched elsewhere: a model server is not trusted to point anywhere). Seeds are
sent only with ``send_seed`` (OpenAI itself takes none; most self-hosted servers do), so a run
is deterministic only where the server honours them. Edited images come back at the source's
size. Retries with backoff on 429, 5xx and dropped connections (honouring ``Retry-After``);
other failures fail the request alone; a server nobody answers at stops the run
(BackendUnavailable), so rerunning the same command resumes once it is up.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import random
from typing import Any, Literal

from mmrecipe.backends.imagegen.base import ImageRequest, ImageResult
from mmrecipe.errors import BackendError, BackendUnavailable

#: the largest image answer accepted (bytes of base64 text)
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None = None, refused: bool = False) -> None:
        super().__init__(reason)
        self.after = after
        self.refused = refused


class OpenAIImagesBackend:
    """``render(requests)`` against an OpenAI-compatible images API.

    Args:
        name: the backend's name in the recipe
        model: the model name the server expects (e.g. gpt-image-1)
        base_url: e.g. ``http://localhost:8000/v1`` (``/v1`` is added when missing)
        api_key_env: environment variable holding the API key (never written anywhere)
        tasks: what the server's model can do (all three for gpt-image-1)
        size: ``WIDTHxHEIGHT`` for text-to-image (None: the server's default)
        quality: passed through when set (gpt-image-1: low, medium, high)
        response_format: ``b64_json`` (None for servers that refuse the field)
        send_seed: send each request's seed (servers that take one)
        extra_body: fields merged into every request
        concurrency: requests in flight at most
        timeout_s: seconds one attempt may take
        max_retries: attempts after the first for retryable failures
        backoff_s: first retry delay; doubles each attempt, with jitter
    """

    in_process = False
    cacheable = False

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        api_key_env: str | None = None,
        tasks: list[Literal["text_to_image", "image_edit", "inpaint"]] | None = None,
        size: str | None = None,
        quality: str | None = None,
        response_format: str | None = "b64_json",
        send_seed: bool = False,
        extra_body: dict[str, Any] | None = None,
        concurrency: int = 8,
        timeout_s: float = 300.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
    ) -> None:
        if concurrency < 1:
            raise BackendError(f"backend {name!r}: concurrency must be >= 1")
        if size is not None and not _parse_size(size):
            raise BackendError(f"backend {name!r}: size must look like 1024x1024, got {size!r}")
        self.name = name
        self.model = model
        base = base_url.rstrip("/")
        self.base_url = base if base.endswith("/v1") else base + "/v1"
        self.capabilities = frozenset(tasks or ("text_to_image", "image_edit", "inpaint"))
        self.size = size
        self.quality = quality
        self.response_format = response_format
        self.send_seed = send_seed
        self.extra_body = dict(extra_body or {})
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.backoff_s = backoff_s
        self._api_key: str | None = None
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise BackendError(
                    f"backend {name!r}: environment variable {api_key_env} (api_key_env) is not set"
                )
            self._api_key = key

    def __repr__(self) -> str:
        return f"OpenAIImagesBackend({self.name!r}, {self.model!r}, {self.base_url!r})"

    # --- the op-facing call -----------------------------------------------------------------

    def render(self, requests: list[ImageRequest]) -> list[ImageResult]:
        """One result per request (runs its own event loop: ops call this from a worker)."""
        return asyncio.run(self._render_all(requests))

    async def aclose(self) -> None:
        return None

    async def _render_all(self, requests: list[ImageRequest]) -> list[ImageResult]:
        import aiohttp

        sem = asyncio.Semaphore(self.concurrency)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:

            async def one(request: ImageRequest) -> ImageResult:
                async with sem:
                    return await self._with_retries(session, request)

            return list(await asyncio.gather(*(one(r) for r in requests)))

    async def _with_retries(self, session: Any, request: ImageRequest) -> ImageResult:
        attempt = 0
        while True:
            try:
                return await self._attempt(session, request)
            except _Retry as exc:
                if attempt >= self.max_retries:
                    if exc.refused:  # nobody listens: a run-level failure, not the sample's
                        raise BackendUnavailable(
                            f"backend {self.name!r}: cannot reach {self.base_url} ({exc}); "
                            "start the server and rerun the same command to resume"
                        ) from None
                    return ImageResult(error=f"gave up after {attempt + 1} attempts: {exc}")
                delay = exc.after if exc.after is not None else self.backoff_s * 2**attempt
                await asyncio.sleep(min(60.0, delay) * (0.5 + random.random() / 2))
                attempt += 1

    async def _attempt(self, session: Any, request: ImageRequest) -> ImageResult:
        import aiohttp

        if request.image is None:
            if "text_to_image" not in self.capabilities:
                return ImageResult(error=f"backend {self.name!r} does no text_to_image")
            body: dict[str, Any] = {"model": self.model, "prompt": request.prompt, "n": 1}
            for key, value in (("size", self.size), ("quality", self.quality)):
                if value is not None:
                    body[key] = value
            if self.response_format:
                body["response_format"] = self.response_format
            if self.send_seed:
                body["seed"] = request.seed
            body.update(self.extra_body)
            call = session.post(self.base_url + "/images/generations", json=body)
        else:
            form = aiohttp.FormData()
            form.add_field("model", self.model)
            form.add_field("prompt", request.prompt)
            form.add_field("n", "1")
            form.add_field(
                "image", _png(request.image), filename="image.png", content_type="image/png"
            )
            if request.mask is not None:
                form.add_field(
                    "mask",
                    _openai_mask(request.mask),
                    filename="mask.png",
                    content_type="image/png",
                )
            if self.response_format:
                form.add_field("response_format", self.response_format)
            if self.send_seed:
                form.add_field("seed", str(request.seed))
            for key, value in self.extra_body.items():
                form.add_field(key, str(value))
            call = session.post(self.base_url + "/images/edits", data=form)
        try:
            async with call as resp:
                if resp.status == 429 or resp.status >= 500:
                    after = _retry_after(resp.headers.get("Retry-After"))
                    raise _Retry(f"HTTP {resp.status}", after)
                raw = await resp.content.read(MAX_ANSWER_BYTES + 1)
                if len(raw) > MAX_ANSWER_BYTES:
                    return ImageResult(error="the image answer is larger than 64 MB")
                if resp.status >= 400:
                    return ImageResult(error=f"HTTP {resp.status}: {raw[:300]!r}")
                data = await _decode(session, raw, self.base_url)
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            refused = isinstance(exc, aiohttp.ClientConnectorError)
            raise _Retry(f"{type(exc).__name__}: {exc}", refused=refused) from None
        if isinstance(data, str):
            return ImageResult(error=data)
        if request.image is not None and data.size != request.image.size:
            from PIL import Image

            data = data.resize(request.image.size, Image.BICUBIC)
        return ImageResult(image=data)


async def _decode(session: Any, raw: bytes, base_url: str) -> Any:
    """The answer's first image as RGB PIL, or why there is none (a string)."""
    import json

    from PIL import Image, UnidentifiedImageError

    try:
        payload = json.loads(raw)
        item = payload["data"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return f"not an images answer: {raw[:200]!r}"
    if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
        try:
            data = base64.b64decode(item["b64_json"], validate=True)
        except ValueError:
            return "b64_json is not base64"
    elif isinstance(item, dict) and isinstance(item.get("url"), str):
        url = item["url"]
        root = base_url[: -len("/v1")]
        if not url.startswith(root + "/"):
            return f"the answer points outside the server ({url[:100]}); ask for b64_json"
        async with session.get(url) as resp:
            data = await resp.content.read(MAX_ANSWER_BYTES)
    else:
        return "the answer holds no b64_json or url"
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > 64_000_000:
                return "the answer's image is too large"
            return im.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        return f"the answer is not an image: {exc}"


def _png(image: Any) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


def _openai_mask(mask: Any) -> bytes:
    """White-is-change (mode L) -> OpenAI's convention: transparent where to repaint."""
    from PIL import Image, ImageOps

    alpha = ImageOps.invert(mask.convert("L"))
    rgba = Image.new("RGBA", mask.size, (0, 0, 0, 255))
    rgba.putalpha(alpha)
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    return buf.getvalue()


def _parse_size(size: str) -> tuple[int, int] | None:
    parts = size.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
