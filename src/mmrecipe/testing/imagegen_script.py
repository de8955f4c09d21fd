"""Scripted answers for the image-generation recipes (``openai_server --script imagegen``):
a caption, edit instructions in edit_instructions' format and contrastive captions in
contrast_captions' format, each derived from the prompt's own caption, so a dry run carries
samples all the way to the image models."""

from __future__ import annotations

import hashlib
import re
from typing import Any

_SWAPS = [("dog", "cat"), ("cat", "dog"), ("red", "blue"), ("car", "bus"), ("tree", "bush")]
_CAPTIONS = [
    "a red dog on the grass next to a tree",
    "a cat sitting on a blue chair by the window",
    "a red car parked on the street near a building",
]


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(
                p.get("text", "")
                for p in content or []
                if isinstance(p, dict) and p.get("type") == "text"
            )
    return ""


def _swap(caption: str) -> tuple[str, str, str]:
    for old, new in _SWAPS:
        if re.search(rf"\b{old}\b", caption):
            return old, new, re.sub(rf"\b{old}\b", new, caption, count=1)
    return "scene", "painting", caption + " as an oil painting"


def imagegen_script(body: dict[str, Any]) -> str | None:
    text = _last_user_text(body)
    if "TYPE | target object | instruction |" in text:  # the four-column form
        caption = re.search(r"Description: (.+)", text)
        base = caption.group(1).strip() if caption else "a photo"
        old, new, swapped = _swap(base)
        return "\n".join(
            [
                "Here are the edits:",
                f"1. replace | {old} | replace the {old} with a {new} | {swapped}",
                f"2. attribute | {old} | make the {old} bright green | {base}, {old} bright green",
                f"3. style | none | turn the picture into a watercolor painting | {base}, watercolor painting",
                "I hope these help!",
            ]
        )
    if "TYPE | instruction |" in text and "types: add, resize, relocate" in text:
        caption = re.search(r"Description: (.+)", text)
        base = caption.group(1).strip() if caption else "a photo"
        expression = re.search(r"Object: (.+)", text)
        target = expression.group(1).strip() if expression else "the object"
        return "\n".join(  # refedit-geometric's three RefEdit types
            [
                f"resize | make {target} twice as large | {base}, {target} larger",
                f"relocate | move {target} to the right side | {base}, {target} on the right",
                f"add | add a second copy of {target} | {base}, two of {target}",
            ]
        )
    if "TYPE | instruction |" in text:
        caption = re.search(r"Description: (.+)", text) or re.search(r"Caption: (.+)", text)
        base = caption.group(1).strip() if caption else "a photo"
        old, new, swapped = _swap(base)
        expression = re.search(r"Object: (.+)", text)
        target = expression.group(1).strip() if expression else f"the {old}"
        return "\n".join(
            [
                "Here are the edits:",
                f"1. replace | replace {target} with a {new} | {swapped}",
                f"2. attribute | make {target} bright green | {base}, {old} bright green",
                f"3. style | turn the picture into a watercolor painting | {base}, watercolor painting",
                "I hope these help!",
            ]
        )
    if "POSITIVE:" in text and "NEGATIVE:" in text:
        caption = re.search(r"Caption: (.+)", text)
        base = caption.group(1).strip() if caption else "a photo"
        _, _, swapped = _swap(base)
        return f"POSITIVE: a picture of {base}\nNEGATIVE: {swapped}\nTYPE: object"
    if "Describe this image" in text or "prompt for a text-to-image model" in text:
        digest = int(
            hashlib.sha1(text.encode() + str(body.get("messages")).encode()).hexdigest(), 16
        )
        return _CAPTIONS[digest % len(_CAPTIONS)]
    return None
