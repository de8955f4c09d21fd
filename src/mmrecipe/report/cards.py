"""Turn one sample record into a compact gallery card (plain data, never HTML).

Everything here is model- or user-written: strings are kept as text (the page renders them with
``textContent``), but shortened so a run of long answers cannot blow up the page, and stripped
of inline ``data:`` URLs (base64 images in trace requests) and of credential-looking keys.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mmrecipe.report.collect import domain_of, numeric_scores, rejection_of
from mmrecipe.report.edits import edit_indices, edit_view
from mmrecipe.report.thumbnails import Thumbnails

#: characters kept of one message, field or model output
MAX_TEXT = 2000
MAX_MESSAGES = 12
MAX_IMAGES = 4
MAX_FIELDS = 10
MAX_FIELD_TEXT = 400
#: fields shown first on a card when present
KEY_FIELDS = ("instruction", "caption", "kind", "task", "answer", "generator", "source_file")

_DATA_URL = re.compile(r"data:[\w.+/-]*;base64,[A-Za-z0-9+/=]{16,}")
_SECRET_KEY = re.compile(r"api[_-]?key|token(?!s)|secret|password|authorization|cookie", re.I)


def clean_text(value: Any, limit: int = MAX_TEXT) -> str:
    """``value`` as display text: data URLs dropped, at most ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = _DATA_URL.sub("data:…[inline image dropped]", text)
    if len(text) > limit:
        text = text[:limit] + f"… [{len(text) - limit} more characters]"
    return text


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "[redacted]" if _SECRET_KEY.search(str(k)) else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def model_outputs(trace: Any) -> list[list[str]]:
    """``[step, text]`` for every raw model answer in ``trace`` (each step's
    ``response.texts``, or its error); steps of another shape show their entry as JSON."""
    if not isinstance(trace, dict):
        return []
    out: list[list[str]] = []
    for step, entry in trace.items():
        response = entry.get("response") if isinstance(entry, dict) else None
        if isinstance(response, dict):
            texts = response.get("texts")
            if isinstance(texts, list):
                for i, text in enumerate(texts):
                    label = step if len(texts) == 1 else f"{step} [{i}]"
                    out.append([str(label), clean_text(text)])
            if response.get("error"):
                out.append([f"{step} (error)", clean_text(response["error"])])
            if isinstance(texts, list) or response.get("error"):
                continue
        out.append([str(step), clean_text(_redact(entry))])
    return out


def _fields(fields: Any) -> list[list[str]]:
    if not isinstance(fields, dict):
        return []
    keys = [k for k in KEY_FIELDS if k in fields]
    keys += [
        k
        for k, v in fields.items()
        if k not in KEY_FIELDS and k != "domain" and isinstance(v, str | int | float | bool)
    ]
    out = []
    for key in keys[:MAX_FIELDS]:
        limit = MAX_TEXT if key in ("instruction", "caption") else MAX_FIELD_TEXT
        out.append([str(key), clean_text(fields[key], limit)])
    return out


def _image(path: str, thumbs: Thumbnails) -> list[Any]:
    """``[thumbnail index or None, path, placeholder text]``."""
    index = thumbs.get(path)
    note = "preview left out (page size)" if path in thumbs.skipped else "no preview"
    return [index, clean_text(path, 300), note]


def make_card(record: dict[str, Any], status: str, thumbs: Thumbnails) -> dict[str, Any]:
    """The gallery card of one record; ``status`` is ``"kept"`` or ``"rejected"``."""
    images = record.get("images") if isinstance(record.get("images"), list) else []
    paths = [str(i.get("path", "")) if isinstance(i, dict) else str(i) for i in images]
    messages = record.get("messages") if isinstance(record.get("messages"), list) else []
    card: dict[str, Any] = {
        "id": str(record.get("id", "")),
        "status": status,
        "domain": domain_of(record),
        "images": [_image(p, thumbs) for p in paths[:MAX_IMAGES]],
        "more_images": max(0, len(paths) - MAX_IMAGES),
        "messages": [
            [clean_text(m.get("role", "?"), 40), clean_text(m.get("content", ""))]
            for m in messages[:MAX_MESSAGES]
            if isinstance(m, dict)
        ],
        "more_messages": max(0, len(messages) - MAX_MESSAGES),
        "fields": _fields(record.get("fields")),
        "scores": [[k, v] for k, v in numeric_scores(record).items()],
        "outputs": model_outputs(record.get("trace")),
    }
    edit = edit_view(record, thumbs, _image, clean_text)
    if edit is not None:  # an edit triplet: source and edited side by side, shown once
        card["edit"] = edit
        shown = set(edit_indices(record) or ())
        rest = [p for i, p in enumerate(paths) if i not in shown]
        card["images"] = [_image(p, thumbs) for p in rest[:MAX_IMAGES]]
        card["more_images"] = max(0, len(rest) - MAX_IMAGES)
        in_view = {k for k, _ in edit["scores"]}
        card["scores"] = [s for s in card["scores"] if s[0] not in in_view]
    if status == "rejected":
        op, reason, detail = rejection_of(record)
        card["op"] = op
        card["reason"] = reason
        card["detail"] = clean_text(detail, MAX_FIELD_TEXT * 2) if detail else ""
    return card
