"""Turning a ChatRequest into what in-process engines take: content parts and RGB images.

mmrecipe messages carry ``<image>`` placeholders in their text, matched in order with the
request's images (LLaVA / LLaMA-Factory convention). Chat templates and vLLM want OpenAI-style
content parts instead. Pure functions, shared by the transformers and vLLM backends.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from mmrecipe.backends.base import ChatRequest
from mmrecipe.imaging import Limits, check_image, error_message, to_rgb
from mmrecipe.sample import ImageRef

IMAGE_TOKEN = "<image>"


class RequestError(ValueError):
    """One request cannot be served as given; its Generation gets this message as ``error``."""


def to_parts(request: ChatRequest) -> list[dict[str, Any]]:
    """Messages with list content: ``{"type": "text", "text"}`` and ``{"type": "image",
    "image_index": i}`` parts in reading order.

    Images never referenced by a placeholder go first in the first user turn, as the
    OpenAI writer does. More placeholders than images is an error.
    """
    n_images = len(request.images)
    used = 0
    out: list[dict[str, Any]] = []
    for message in request.messages:
        content = message.get("content", "")
        parts: list[dict[str, Any]] = []
        if isinstance(content, str):
            chunks = content.split(IMAGE_TOKEN)
            for i, chunk in enumerate(chunks):
                if i > 0:
                    if used >= n_images:
                        raise RequestError(
                            f"message has more {IMAGE_TOKEN} placeholders than the request's "
                            f"{n_images} image(s)"
                        )
                    parts.append({"type": "image", "image_index": used})
                    used += 1
                text = chunk.strip("\n") if i > 0 or len(chunks) > 1 else chunk
                if text:
                    parts.append({"type": "text", "text": text})
        else:
            for part in content:
                kind = part.get("type")
                if kind in ("image", "image_url"):
                    if used >= n_images:
                        raise RequestError(
                            f"message has more image parts than the request's {n_images} image(s)"
                        )
                    parts.append({"type": "image", "image_index": used})
                    used += 1
                elif kind == "text":
                    parts.append({"type": "text", "text": part.get("text", "")})
        out.append({"role": message["role"], "content": parts})
    if used < n_images:
        missing = [{"type": "image", "image_index": i} for i in range(used, n_images)]
        first = next((m for m in out if m["role"] == "user"), None)
        if first is None:
            first = {"role": "user", "content": []}
            out.append(first)
        first["content"] = missing + first["content"]
    return out


def for_template(parts_messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the image indexes: what ``apply_chat_template`` expects (``{"type": "image"}``)."""
    return [
        {
            "role": m["role"],
            "content": [
                {"type": "image"} if p["type"] == "image" else dict(p) for p in m["content"]
            ],
        }
        for m in parts_messages
    ]


def load_image(ref: ImageRef, limits: Limits | None = None) -> Image.Image:
    """Open one image as RGB for a model, or raise RequestError saying why it cannot be used."""
    from mmrecipe.imaging import ImageRejected

    try:
        checked = check_image(ref.path, limits or Limits())
        im = checked.normalized
        if im is None:
            with Image.open(ref.path) as opened:
                opened.load()
                im = opened.copy()
        return im if im.mode == "RGB" else to_rgb(im)
    except ImageRejected as exc:
        raise RequestError(f"image {exc.reason}: {exc.detail}") from None
    except Exception as exc:  # anything PIL raises on bytes nobody vouched for
        raise RequestError(f"image unreadable: {ref.path}: {error_message(exc)}") from None
