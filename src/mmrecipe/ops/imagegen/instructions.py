"""Parsing what an LLM writes when asked for edit instructions or contrastive captions.

Model output is untrusted: lines that do not follow the format are skipped, and the op rejects
the sample with the raw text when nothing usable is left."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the edit types an LLM is asked to name: ImgEdit's categories as the seed lists them (object
#: addition, removal, replacement, attribute modification, background change, style transfer,
#: spatial rearrangement = relocate, multi-object editing) and RefEdit's resize
EDIT_TYPES = (
    "add",
    "remove",
    "replace",
    "attribute",
    "style",
    "background",
    "relocate",
    "resize",
    "multi_object",
)
#: types that change the whole picture: no region must stay untouched
GLOBAL_TYPES = ("style", "background")
_SYNONYMS = {
    "addition": "add",
    "removal": "remove",
    "delete": "remove",
    "replacement": "replace",
    "alter": "attribute",
    "attribute change": "attribute",
    "color": "attribute",
    "colour": "attribute",
    "material": "attribute",
    "style transfer": "style",
    "background change": "background",
    "recolor": "attribute",
    "recolour": "attribute",
    "move": "relocate",
    "reposition": "relocate",
    "spatial rearrangement": "relocate",
    "scale": "resize",
    "enlarge": "resize",
    "shrink": "resize",
    "multi-object": "multi_object",
    "multi object": "multi_object",
}
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\(\d+\))\s*")


@dataclass(frozen=True)
class EditInstruction:
    edit_type: str
    instruction: str
    target_caption: str
    #: the object the edit is about, as the VLM named it ("" for whole-image edits)
    target: str = ""


def edit_type(word: str, allowed: tuple[str, ...]) -> str | None:
    key = word.strip().strip("[]*").lower()
    key = _SYNONYMS.get(key, key)
    return key if key in allowed else None


def parse_edit_lines(text: str, allowed: tuple[str, ...], limit: int) -> list[EditInstruction]:
    """``TYPE | target object | instruction | caption after the edit`` (or the three-column
    form without the target) per line; other lines are skipped, and so are repeats of an
    instruction. A target of "none" / "-" / "whole image" is no target."""
    out: list[EditInstruction] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        line = _BULLET.sub("", raw).strip()
        parts = [p.strip() for p in line.split("|")]
        target = ""
        if len(parts) == 4:
            target = parts.pop(1)
            if target.lower().strip(".") in ("none", "-", "n/a", "whole image", "the whole image"):
                target = ""
        if len(parts) != 3 or not all(parts):
            continue
        kind = edit_type(parts[0], allowed)
        if kind is None or parts[1].lower() in seen or len(parts[1]) > 500:
            continue
        seen.add(parts[1].lower())
        out.append(EditInstruction(kind, parts[1], parts[2][:1000], target[:200]))
        if len(out) >= limit:
            break
    return out


#: SPARCL's hard-negative kinds
NEGATIVE_TYPES = ("attribute", "relation", "count", "object")
_LABELED = re.compile(r"^\s*(positive|negative|type)\s*[:：]\s*(.+?)\s*$", re.IGNORECASE)


def parse_contrast(text: str) -> dict[str, str] | None:
    """``POSITIVE: ...`` / ``NEGATIVE: ...`` / ``TYPE: ...`` lines -> a dict, or None when the
    positive or the negative is missing, or they are the same text."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        match = _LABELED.match(_BULLET.sub("", raw))
        if match and match.group(1).lower() not in found:
            found[match.group(1).lower()] = match.group(2)[:1000]
    if "positive" not in found or "negative" not in found:
        return None
    if found["positive"].strip().lower() == found["negative"].strip().lower():
        return None
    kind = found.get("type", "").strip().lower()
    found["type"] = kind if kind in NEGATIVE_TYPES else "other"
    return found
