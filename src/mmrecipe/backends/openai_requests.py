"""Request building for OpenAI-compatible servers: chat messages with image parts, the chat and
SGLang ``/generate`` bodies from ``SamplingParams``, and the parsers of their answers. Pure
functions of their arguments (no I/O), so what is sent for a request is easy to read and test."""

from __future__ import annotations

from typing import Any

from mmrecipe.backends.base import ChatRequest, Generation, SamplingParams
from mmrecipe.backends.hooking import banned_token_bias

IMAGE_PLACEHOLDER = "<image>"
#: an image's segment in a hook prefix, repeated once per image for SGLang
IMAGE_SEGMENTS = ("<|vision_start|><|image_pad|><|vision_end|>", "<image>")


def chat_body(
    model: str,
    server: str,
    extra_body: dict[str, Any],
    messages: list[dict[str, Any]],
    p: SamplingParams,
) -> dict[str, Any]:
    """A ``/v1/chat/completions`` body; engine-only sampling options go to vLLM/SGLang only."""
    body: dict[str, Any] = {
        "model": model,
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
    if server in ("vllm", "sglang"):
        if p.top_k is not None:
            body["top_k"] = p.top_k
        if p.min_tokens is not None:
            body["min_tokens"] = p.min_tokens
        if p.repetition_penalty is not None:
            body["repetition_penalty"] = p.repetition_penalty
        if p.banned_tokens and server == "vllm":
            body["bad_words"] = list(p.banned_tokens)
    body.update(extra_body)
    return body


def sglang_body(
    model: str, extra_body: dict[str, Any], prefix: str, urls: list[str], p: SamplingParams
) -> dict[str, Any]:
    """A native SGLang ``/generate`` body: the hook prefix as text, one image segment per image."""
    if len(urls) > 1:
        for segment in IMAGE_SEGMENTS:
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
        sampling["logit_bias"] = banned_token_bias(model, p.banned_tokens)
    body: dict[str, Any] = {
        "text": prefix,
        "image_data": urls[0] if len(urls) == 1 else urls,
        "sampling_params": sampling,
    }
    if p.logprobs:
        body["return_logprob"] = True
    body.update(extra_body)
    return body


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def chat_messages(request: ChatRequest, urls: list[str]) -> list[dict[str, Any]]:
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
                        parts.append(image_part(pending.pop(0)))
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
        first_user["content"] = [image_part(u) for u in pending] + list(content or [])
    return out


def parse_chat(data: dict[str, Any]) -> Generation:
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


def parse_sglang(data: Any) -> Generation:
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
