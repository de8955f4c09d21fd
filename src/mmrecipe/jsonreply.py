"""JSON in model replies, found defensively: the whole text, a Markdown fence, or the first value
after stray text. Shared by the families that ask a model for JSON (QA pairs, R-CoT rewrites);
moved out of ``ops/generation/qa.py`` so no op family imports another."""

from __future__ import annotations

import json
import re
from typing import Any

from mmrecipe.prompted import IMAGE

_FENCE = re.compile(r"```[A-Za-z0-9_-]*\s*\n?(.*?)```", re.S)
#: positions where a JSON value is tried before giving up
_MAX_STARTS = 64


class QaParseError(ValueError):
    """A model answer with no usable QA pair in it."""


def strip_image_tokens(text: str) -> str:
    """Model text must never carry ``<image>``: it would break the image/placeholder count."""
    return text.replace(IMAGE, "").strip()


def json_candidates(text: str) -> list[Any]:
    """JSON values found in ``text``: the whole text, fenced blocks, then the first value
    starting at a ``[`` or ``{`` (stray text around it ignored)."""
    found: list[Any] = []
    stripped = text.strip()
    try:
        found.append(json.loads(stripped))
    except (ValueError, RecursionError):
        pass
    for block in _FENCE.findall(text):
        try:
            found.append(json.loads(block.strip()))
        except (ValueError, RecursionError):
            pass
    decoder = json.JSONDecoder()
    for attempt, match in enumerate(re.finditer(r"[\[{]", text)):
        if attempt >= _MAX_STARTS:  # a wall of brackets is garbage, not worth O(n^2)
            break
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        found.append(value)
        break
    return found


def parse_json_object(text: str, required: tuple[str, ...]) -> dict[str, Any]:
    """The first JSON object in ``text`` (fences and stray text tolerated) that has every key
    in ``required`` (compared case-insensitively); raises :class:`QaParseError`."""
    if not isinstance(text, str) or not text.strip():
        raise QaParseError("empty answer")
    for value in json_candidates(text):
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, dict):
            lowered = {str(k).lower(): v for k, v in value.items()}
            if all(k in lowered for k in required):
                return lowered
    raise QaParseError(f"no JSON object with {', '.join(required)}")
