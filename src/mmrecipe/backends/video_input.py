"""Videos in model requests: as video content parts, or as their sampled frames.

vLLM and SGLang take ``{"type": "video_url", "video_url": {"url": ...}}`` parts on
``/v1/chat/completions`` for video models (a ``data:video/mp4;base64,`` URL here: the server
decodes and samples the file itself). Plain OpenAI-compatible servers take no video part: there
the frames ``sample_frames`` wrote go as images, one ``<image>`` per frame where the
``<video>`` placeholder was (``video_input: frames``). A request with a video and neither way
open (``video_url`` asked of a plain server, or frames asked of a video never sampled) is
refused in one line.

Hooking (Oasis) on video needs the family's video placeholder in place of the image one:
:data:`VIDEO_HOOK_SEGMENTS`; a family without one is refused.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from dataclasses import replace
from typing import Any, Literal

from mmrecipe.backends.base import ChatRequest
from mmrecipe.errors import BackendError
from mmrecipe.sample import ImageRef, VideoRef

VideoInput = Literal["auto", "video_url", "frames"]
VIDEO_TOKEN = "<video>"
IMAGE_TOKEN = "<image>"

#: family (``hooking.KNOWN_FAMILIES`` names) -> (image segment, video segment) in its template.
#: Qwen2-VL/2.5-VL/3-VL: ``<|video_pad|>`` inside the vision markers (their chat templates);
#: LLaVA-OneVision/LLaVA-Video run on Qwen2 ChatML with ``<video>``. Families not listed
#: (LLaVA-1.5, LLaVA-NeXT-vicuna, Idefics3, SmolVLM, InternVL: frames as images) take no video.
VIDEO_HOOK_SEGMENTS: dict[str, tuple[str, str]] = {
    "Qwen3-VL": (
        "<|vision_start|><|image_pad|><|vision_end|>",
        "<|vision_start|><|video_pad|><|vision_end|>",
    ),
    "Qwen2-VL / Qwen2.5-VL": (
        "<|vision_start|><|image_pad|><|vision_end|>",
        "<|vision_start|><|video_pad|><|vision_end|>",
    ),
}


def video_hook_prefix(model_id: str, image_prefix: str) -> str:
    """The hook prefix for a video: the family's image segment swapped for its video one;
    BackendError for a family without video."""
    from mmrecipe.backends.hooking import known_family

    family = known_family(model_id)
    segments = VIDEO_HOOK_SEGMENTS.get(family.family) if family else None
    if segments is None or segments[0] not in image_prefix:
        name = family.family if family else "an unknown family"
        raise BackendError(
            f"model {model_id!r} ({name}) has no known video placeholder for hooking; video "
            f"hooking supports {', '.join(VIDEO_HOOK_SEGMENTS)} (sample frames and hook on "
            "an image instead)"
        )
    return image_prefix.replace(segments[0], segments[1], 1)


def resolve_mode(mode: VideoInput, server: str, backend: str) -> Literal["video_url", "frames"]:
    """``auto``: video parts on vLLM/SGLang, frames elsewhere; ``video_url`` on a plain
    OpenAI-compatible server is refused (it rejects video parts)."""
    if mode == "auto":
        return "video_url" if server in ("vllm", "sglang") else "frames"
    if mode == "video_url" and server == "openai":
        raise BackendError(
            f"backend {backend!r}: video_input video_url needs a vLLM or SGLang server (a plain "
            "OpenAI-compatible server takes no video parts); set video_input: frames and sample "
            "frames first (op sample_frames)"
        )
    return mode


def as_frames(request: ChatRequest) -> ChatRequest:
    """The request with each video replaced by its sampled frames, as images (``<video>`` ->
    one ``<image>`` per frame; a video without a placeholder goes before the first user text)."""
    if not request.videos:
        return request
    groups: list[list[ImageRef]] = []
    for video in request.videos:
        if not video.frames:
            raise BackendError(
                f"video {os.path.basename(video.path)!r} has no sampled frames to send as images "
                "(run sample_frames first, or use a server that takes video parts)"
            )
        groups.append(
            [
                ImageRef(path=str(f["path"]), sha256=f.get("sha256"), format="JPEG")
                for f in video.frames
            ]
        )
    pending = ["\n".join([IMAGE_TOKEN] * len(g)) for g in groups]
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        content = message.get("content")
        if isinstance(content, str) and VIDEO_TOKEN in content:
            head, *rest = content.split(VIDEO_TOKEN)
            for piece in rest:
                head += (pending.pop(0) if pending else "") + piece
            message = {**message, "content": head}
        messages.append(message)
    if pending:
        first = next((m for m in messages if m.get("role") == "user"), None)
        if first is None:
            first = {"role": "user", "content": ""}
            messages.append(first)
        text = first.get("content") or ""
        first["content"] = "\n".join([*pending, text]) if text else "\n".join(pending)
    # images the request already had stay first (their placeholders come first in the text)
    frames = [ref for g in groups for ref in g]
    return replace(request, messages=messages, images=[*request.images, *frames], videos=[])


def video_data_url(video: VideoRef, max_bytes: int) -> str:
    """A ``data:`` URL of the video file (refused over ``max_bytes``: servers cap bodies)."""
    size = os.path.getsize(video.path)
    if size > max_bytes:
        raise BackendError(
            f"video {os.path.basename(video.path)!r} is {size} bytes, over max_video_bytes "
            f"{max_bytes}: send frames (video_input: frames) or raise the limit"
        )
    mime = mimetypes.guess_type(video.path)[0] or "video/mp4"
    with open(video.path, "rb") as fh:
        return f"data:{mime};base64," + base64.b64encode(fh.read()).decode("ascii")


def video_part(url: str) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": url}}


def with_video_parts(messages: list[dict[str, Any]], urls: list[str]) -> list[dict[str, Any]]:
    """OpenAI messages (image parts already placed) with each ``<video>`` in a text part
    replaced by a video part, in order; videos without a placeholder open the first user turn."""
    pending = list(urls)
    out: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}] if content else []
        parts: list[dict[str, Any]] = []
        for part in content or []:
            text = part.get("text") if part.get("type") == "text" else None
            if not isinstance(text, str) or VIDEO_TOKEN not in text or not pending:
                parts.append(part)
                continue
            for i, piece in enumerate(text.split(VIDEO_TOKEN)):
                if i > 0 and pending:
                    parts.append(video_part(pending.pop(0)))
                piece = piece.strip("\n")
                if piece:
                    parts.append({"type": "text", "text": piece})
        out.append({**message, "content": parts})
    if pending:
        first = next((m for m in out if m.get("role") == "user"), None)
        if first is None:
            first = {"role": "user", "content": []}
            out.append(first)
        first["content"] = [video_part(u) for u in pending] + list(first["content"])
    return out


def processor_video_mode(
    mode: str, processor: Any, backend: str, vision: bool
) -> Literal["processor", "frames"]:
    """In-process engines: ``processor`` when the model's processor takes ``videos=`` (it has
    a video processor: Qwen2-VL, LLaVA-OneVision, LLaVA-NeXT-Video ...), else ``frames``;
    ``processor`` asked of one that has none is refused."""
    takes_videos = vision and getattr(processor, "video_processor", None) is not None
    if mode == "processor" and not takes_videos:
        raise BackendError(
            f"backend {backend!r}: video_input processor, but this model's processor takes no "
            "videos; use video_input: frames (the sampled frames as images)"
        )
    if mode == "auto":
        return "processor" if takes_videos else "frames"
    return "frames" if mode == "frames" else "processor"


def video_frames(video: VideoRef) -> list[Any]:
    """A video's sampled frames as RGB images, in time order: what processors take as one
    video (they do their own resizing); the frames were written by ``sample_frames``."""
    from PIL import Image

    if not video.frames:
        raise BackendError(
            f"video {os.path.basename(video.path)!r} has no sampled frames (run sample_frames)"
        )
    out = []
    for frame in video.frames:
        with Image.open(str(frame["path"])) as im:
            out.append(im.convert("RGB"))
    return out


def video_template_parts(messages: list[dict[str, Any]], n_videos: int) -> list[dict[str, Any]]:
    """Chat-template messages (typed parts) with each ``<video>`` in a text part as a
    ``{"type": "video"}`` part; videos without a placeholder open the first user turn."""
    placed = 0
    out: list[dict[str, Any]] = []
    for message in messages:
        parts: list[dict[str, Any]] = []
        for part in message.get("content") or []:
            text = part.get("text") if part.get("type") == "text" else None
            if not isinstance(text, str) or VIDEO_TOKEN not in text:
                parts.append(part)
                continue
            for i, piece in enumerate(text.split(VIDEO_TOKEN)):
                if i > 0:
                    parts.append({"type": "video"})
                    placed += 1
                if piece.strip("\n"):
                    parts.append({"type": "text", "text": piece.strip("\n")})
        out.append({**message, "content": parts})
    if placed < n_videos:
        first = next((m for m in out if m.get("role") == "user"), None)
        if first is not None:
            first["content"] = [{"type": "video"}] * (n_videos - placed) + first["content"]
    return out
