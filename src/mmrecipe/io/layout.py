"""What trainers' loaders demand of a conversation, in one place for every writer.

A sample's messages may hold a system turn anywhere, consecutive turns of one role, ``<image>``
placeholders in assistant turns (interleaved traces), or images with no placeholder at all.
Trainers reject each of these, differently. :func:`prepare` turns a sample into the shape they
share (optional system text, then user/assistant alternating, ending with an answer, exactly one
placeholder per image), or raises :class:`LeftOut` with the reason the sample cannot be written
in that format; writers count those reasons and the run reports them in ``stats.json``.

Placeholder convention between text and typed parts: ``"<image>\\nWhat?"`` is
``[image, text "What?"]``; one newline beside a placeholder is its separator, not text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from mmrecipe.io.base import IMAGE_TOKEN
from mmrecipe.sample import ImageRef, Sample

AssistantImages = Literal["skip", "move_to_user"]
ASSISTANT_IMAGE_POLICIES = ("skip", "move_to_user")


class LeftOut(Exception):
    """A sample this format cannot hold; ``reason`` is counted in the run's stats."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Conversation:
    """A conversation trainers accept: system text, user/assistant turns, one image each."""

    system: str
    messages: list[dict[str, str]]
    images: list[ImageRef]


def content_text(content: Any) -> str:
    """Text of a message content: a string, or typed parts (image parts become ``<image>``,
    ``text: null`` parts are skipped, as in llava-instruct-mix-vsft)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise ValueError(f"message content is {type(content).__name__}, not text or parts")
    pieces: list[str | None] = []
    for part in content:
        if isinstance(part, str):
            pieces.append(part)
            continue
        if not isinstance(part, dict):
            raise ValueError(f"content part is {type(part).__name__}")
        kind = part.get("type")
        if kind in ("image", "image_url", "input_image"):
            pieces.append(None)
        elif kind in ("video", "video_url"):
            pieces.append("<video>")
        elif kind in ("text", "input_text", None):
            text = part.get("text")
            if text is not None:
                pieces.append(str(text))
        else:
            raise ValueError(f"content part of type {kind!r} is not supported")
    return join_pieces(pieces)


def split_pieces(text: str) -> list[str | None]:
    """``text`` as pieces: ``None`` for each ``<image>``, strings for the text between."""
    chunks = text.split(IMAGE_TOKEN)
    pieces: list[str | None] = []
    for i, chunk in enumerate(chunks):
        if i > 0:
            pieces.append(None)
            if chunk.startswith("\n"):
                chunk = chunk[1:]
        if i < len(chunks) - 1 and chunk.endswith("\n"):
            chunk = chunk[:-1]
        if chunk:
            pieces.append(chunk)
    return pieces


def join_pieces(pieces: list[str | None]) -> str:
    """The inverse of :func:`split_pieces` (a newline beside each placeholder)."""
    return "\n".join(IMAGE_TOKEN if p is None else p for p in pieces)


def merge_same_role(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive turns of one role become one turn (an image-only user message followed by
    its question is one user turn to LLaVA and LLaMA-Factory)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        text = content_text(m.get("content"))
        if out and out[-1]["role"] == m["role"]:
            prev = out[-1]["content"]
            out[-1] = {**out[-1], "content": f"{prev}\n{text}" if prev and text else prev + text}
        else:
            out.append({**m, "content": text})
    return out


def merge_image_only_turns(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What readers do: a turn that holds only images joins the next turn of the same role
    (an image-only user message followed by its question is one question). Other consecutive
    same-role turns stay as the source has them (curation may judge them: HoneyPipe's
    ``turn_structure``); the trainer writers merge them (:func:`prepare`)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        text = content_text(m.get("content"))
        prev = out[-1] if out else None
        if prev is not None and prev["role"] == m["role"] and _only_images(prev["content"]):
            joined = (
                f"{prev['content']}\n{text}" if prev["content"] and text else prev["content"] + text
            )
            out[-1] = {**prev, "content": joined}
        else:
            out.append({**m, "content": text})
    return out


def _only_images(text: str) -> bool:
    return IMAGE_TOKEN in text and not text.replace(IMAGE_TOKEN, "").strip()


def prepare(sample: Sample, assistant_images: AssistantImages = "skip") -> Conversation:
    """The sample as trainers accept it, or :class:`LeftOut` with the reason it cannot be."""
    messages = [
        {"role": str(m.get("role")), "content": content_text(m.get("content"))}
        for m in sample.messages
    ]
    if not messages:
        raise LeftOut("empty_conversation")
    system_parts = []
    while messages and messages[0]["role"] == "system":
        system_parts.append(messages.pop(0)["content"])
    for m in messages:
        if m["role"] == "system":
            raise LeftOut("system_turn_inside", "a system turn after the first user turn")
        if m["role"] not in ("user", "assistant"):
            raise LeftOut("unsupported_role", m["role"])
    messages = merge_same_role(messages)
    if IMAGE_TOKEN in "\n".join(system_parts):
        raise LeftOut("system_image", "an <image> placeholder in the system turn")
    messages = _assistant_images(messages, assistant_images)
    messages = _place_images(messages, len(sample.images))
    if not messages:
        raise LeftOut("empty_conversation")
    if messages[0]["role"] != "user":
        raise LeftOut("starts_with_assistant")
    if messages[-1]["role"] != "assistant":
        raise LeftOut("no_answer", "the last turn is not the assistant's")
    return Conversation(
        system="\n".join(p for p in system_parts if p),
        messages=[{"role": m["role"], "content": m["content"]} for m in messages],
        images=list(sample.images),
    )


def _assistant_images(
    messages: list[dict[str, Any]], policy: AssistantImages
) -> list[dict[str, Any]]:
    if not any(m["role"] == "assistant" and IMAGE_TOKEN in m["content"] for m in messages):
        return messages
    if policy != "move_to_user":
        raise LeftOut(
            "assistant_image",
            "an image in an assistant turn (set output.assistant_images=move_to_user to move it)",
        )
    out = [dict(m) for m in messages]
    for i, m in enumerate(out):
        n = m["content"].count(IMAGE_TOKEN) if m["role"] == "assistant" else 0
        if not n:
            continue
        user = next((j for j in range(i - 1, -1, -1) if out[j]["role"] == "user"), None)
        if user is None:
            raise LeftOut("assistant_image", "an assistant image with no user turn before it")
        m["content"] = join_pieces([p for p in split_pieces(m["content"]) if p is not None])
        out[user]["content"] = join_pieces(split_pieces(out[user]["content"]) + [None] * n)
    return out


def _place_images(messages: list[dict[str, Any]], n_images: int) -> list[dict[str, Any]]:
    found = sum(m["content"].count(IMAGE_TOKEN) for m in messages)
    if found == n_images:
        return messages
    first_user = next((i for i, m in enumerate(messages) if m["role"] == "user"), None)
    if found == 0 and first_user is not None:
        out = [dict(m) for m in messages]
        out[first_user]["content"] = join_pieces(
            [None] * n_images + split_pieces(out[first_user]["content"])
        )
        return out
    raise LeftOut("placeholder_mismatch", f"{found} <image> placeholder(s) for {n_images} image(s)")


def uniform_value(value: Any) -> Any:
    """A kept field as one JSON type across rows: text stays text, anything else becomes JSON
    text (HF ``datasets`` infers a column's type, so ``"2006"`` beside ``2006`` corrupts it)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def kept_names(sample: Sample, keep_fields: list[str]) -> list[str]:
    """``keep_fields`` plus the source's own extra keys (``fields.source_keys``, kept by
    readers so a round trip gives them back), those present in the sample."""
    names = list(keep_fields)
    for key in sample.fields.get("source_keys") or []:
        if key not in names:
            names.append(key)
    return [k for k in names if k in sample.fields]


#: the one column that holds a source's extra keys in formats HF ``datasets`` loads as a table
SOURCE_COLUMN = "source_fields"


def kept_fields(
    sample: Sample, keep_fields: list[str], as_text: bool = False, source_column: bool = False
) -> dict[str, Any]:
    """The fields a JSON record carries, with their own types (the source's extra keys come
    back as they were read); ``as_text`` writes the recipe's non-text ``keep_fields`` as JSON
    text, one type per column whatever the rows hold (:func:`uniform_value`).

    ``source_column`` (ShareGPT, hf_messages: loaded by HF ``datasets`` and LLaMA-Factory as
    one table over every shard): the source's extra keys, whatever they are, go into one JSON
    text column, :data:`SOURCE_COLUMN`, on every row (``"{}"`` when there are none). A key
    whose type or shape changes between shards, or that only some shards have, then never
    changes the table's schema; the recipe's ``keep_fields`` stay columns of their own."""
    if not source_column:
        source = set(sample.fields.get("source_keys") or [])
        return {
            k: uniform_value(sample.fields[k]) if as_text and k not in source else sample.fields[k]
            for k in kept_names(sample, keep_fields)
        }
    own = [k for k in keep_fields if k in sample.fields]
    out = {k: uniform_value(sample.fields[k]) if as_text else sample.fields[k] for k in own}
    source = {
        k: sample.fields[k]
        for k in sample.fields.get("source_keys") or []
        if k in sample.fields and k not in out
    }
    out[SOURCE_COLUMN] = json.dumps(source, ensure_ascii=False, sort_keys=True, default=str)
    return out


def kept_fields_raw(sample: Sample, keep_fields: list[str]) -> dict[str, Any]:
    """The kept fields with their own types, plus ``source_keys``: for containers that store
    fields as one JSON text (Parquet's ``fields``, WebDataset's ``.json``)."""
    out = {k: sample.fields[k] for k in kept_names(sample, keep_fields)}
    source_keys = [k for k in sample.fields.get("source_keys") or [] if k in out]
    if source_keys:
        out["source_keys"] = source_keys
    return out
