"""A JSON array's elements, each parsed alone: one bad record in a pretty LLaVA/ShareGPT JSON
file is one reject, not the loss of the whole file.

Each element is parsed by the C decoder (``raw_decode``); an element it refuses (broken, or
nested thousands deep: RecursionError) is skipped by a flat scan for its end (strings and
brackets, no recursion), and the elements after it are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
#: what matters when skipping a value: strings (which may hold brackets) and brackets
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|"')
#: the end of a scalar that could not be parsed: up to the next , or ] outside a string
_SCALAR = re.compile(r'(?:"(?:[^"\\]|\\.)*"|[^,\]"])*')


def array_elements(text: str) -> Iterator[tuple[bool, Any]]:
    """``(True, value)`` for each element of the JSON array ``text``, ``(False, error)`` for
    one that cannot be parsed; a file whose structure breaks ends with one error."""
    idx = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("[", idx):
        yield False, "not a JSON array"
        return
    idx = _WS.match(text, idx + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", idx):
        return
    while True:
        try:
            value, end = _DECODER.raw_decode(text, idx)
            yield True, value
        except json.JSONDecodeError as exc:
            skipped = _skip_value(text, idx)
            if skipped is None:
                yield False, f"not valid JSON ({exc.msg}); the rest of the file is not read"
                return
            yield False, f"not valid JSON ({exc.msg})"
            end = skipped
        except RecursionError:
            skipped = _skip_value(text, idx)
            if skipped is None:
                yield False, "nested too deeply to parse; the rest of the file is not read"
                return
            yield False, "nested too deeply to parse"
            end = skipped
        idx = _WS.match(text, end).end()  # type: ignore[union-attr]
        if idx >= len(text):
            yield False, "the array is not closed; the rest of the file is not read"
            return
        if text[idx] == "]":
            if text[idx + 1 :].strip():
                yield False, "text after the array's end is not read"
            return
        if text[idx] != ",":
            yield False, f"expected , or ] at offset {idx}; the rest of the file is not read"
            return
        idx = _WS.match(text, idx + 1).end()  # type: ignore[union-attr]


def _skip_value(text: str, idx: int) -> int | None:
    """Where the value starting at ``idx`` ends, found without recursion (None: never)."""
    if idx >= len(text):
        return None
    if text[idx] not in "[{":
        end = _SCALAR.match(text, idx).end()  # type: ignore[union-attr]
        return end if end > idx and end < len(text) else None
    depth = 0
    for match in _TOKEN.finditer(text, idx):
        token = match.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                return match.end()
        elif token == '"':  # an unterminated string
            return None
    return None
