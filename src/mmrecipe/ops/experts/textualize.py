"""Image Textualization's merge step: check a caption against expert outputs and write the
facts an LLM needs to rewrite it.

Objects the caption names (vocabulary words found in it) are *confirmed* when a detector or
tagger found them, *unconfirmed* (hallucination candidates, to be removed) when no expert
did. Objects the experts found that the caption leaves out are *added*, with their count and
position. OCR lines are passed on verbatim. The paper extracts caption entities with an LLM
(``named``, e.g. from a ``vlm_generate`` step); without them, the vocabulary's words (the
experts' labels, the tag list, ``vocabulary``) found in the caption, singular or plural.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mmrecipe.experts.geometry import position
from mmrecipe.ops.experts.consensus import item_label, norm_label, singularize

#: words that name the picture itself, never an object to confirm
GENERIC = frozenset(
    {"image", "picture", "photo", "photograph", "scene", "view", "background", "foreground"}
)

_WORD = re.compile(r"[a-z][a-z\-]*")


@dataclass
class Textualization:
    confirmed: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    #: label -> {"count": n, "positions": [...]} from the detector boxes
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    text_lines: list[str] = field(default_factory=list)
    #: dense captions: "label (position): caption" of each captioned region
    regions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "confirmed": self.confirmed,
            "unconfirmed": self.unconfirmed,
            "added": self.added,
            "objects": self.objects,
            "text": self.text_lines,
            "regions": self.regions,
        }


def mentions(caption: str, vocabulary: Iterable[str]) -> list[str]:
    """Vocabulary entries (normalized) the caption names, in vocabulary order; multi-word
    entries match as phrases, plurals fold to singular."""
    words = _WORD.findall(caption.lower())
    texts = (" " + " ".join(words) + " ", " " + " ".join(singularize(w) for w in words) + " ")
    found = []
    for entry in vocabulary:
        key = norm_label(entry)
        if not key or key in GENERIC or key in found:
            continue
        forms = {key, key + "s", key + "es"}
        if key.endswith("y"):
            forms.add(key[:-1] + "ies")
        if any(f" {form} " in text for form in forms for text in texts):
            found.append(key)
    return found


def textualize(
    caption: str,
    objects: Sequence[Mapping[str, Any]] = (),
    tags: Sequence[Any] = (),
    ocr: str | Sequence[Any] | Mapping[str, Any] = (),
    width: int = 0,
    height: int = 0,
    vocabulary: Iterable[str] = (),
    named: Sequence[str] | None = None,
) -> Textualization:
    """Compare ``caption`` with detector ``objects`` (``label``, ``box``, and a region
    ``caption`` where a dense-caption step wrote one), tagger ``tags`` and ``ocr`` text (lines,
    or an ``ocr`` step's result); see the module docstring. ``named``: the objects the caption names, when an
    LLM extracted them (the paper's way); else the vocabulary is searched in the caption."""
    found_by_boxes: dict[str, list[Sequence[float]]] = {}
    for obj in objects:
        label = norm_label(item_label(obj))
        if label:
            found_by_boxes.setdefault(label, []).append(obj.get("box") or [])
    found_by_tags = [norm_label(item_label(t)) for t in tags if norm_label(item_label(t))]
    found = list(dict.fromkeys([*found_by_boxes, *found_by_tags]))
    vocab = list(dict.fromkeys([*(norm_label(v) for v in vocabulary), *found]))
    if named is None:
        named = mentions(caption, vocab)
    else:
        named = list(
            dict.fromkeys(n for n in (norm_label(x) for x in named) if n and n not in GENERIC)
        )
    result = Textualization()
    result.confirmed = [n for n in named if n in found]
    result.unconfirmed = [n for n in named if n not in found]
    result.added = [f for f in found if f not in named and f not in GENERIC]
    for label, boxes in found_by_boxes.items():
        places = [position(b, width, height) for b in boxes if len(b) == 4 and width and height]
        result.objects[label] = {"count": len(boxes), "positions": places}
    for obj in objects:  # dense captioning: a caption per detected region
        text = obj.get("caption") if isinstance(obj, Mapping) else None
        if isinstance(text, str) and text.strip():
            box = obj.get("box") or []
            where = position(box, width, height) if len(box) == 4 and width and height else ""
            label = norm_label(item_label(obj)) or "region"
            result.regions.append(f"{label}{f' ({where})' if where else ''}: {text.strip()}")
    if isinstance(ocr, Mapping):  # an ``ocr`` step's result: its text
        ocr = str(ocr.get("text") or "")
    lines = ocr.splitlines() if isinstance(ocr, str) else [item_label(x) for x in ocr]
    result.text_lines = [line.strip() for line in lines if line.strip()]
    return result


def facts_text(result: Textualization) -> str:
    """The facts as short lines for the rewriting prompt (empty sections left out)."""
    lines = []
    if result.objects:
        parts = []
        for label, info in result.objects.items():
            where = ", ".join(dict.fromkeys(info["positions"]))
            parts.append(f"{info['count']} x {label}" + (f" ({where})" if where else ""))
        lines.append("Detected objects (count, position): " + "; ".join(parts) + ".")
    if result.confirmed:
        lines.append("Confirmed by the experts: " + ", ".join(result.confirmed) + ".")
    if result.added:
        lines.append("Present but not in the description: " + ", ".join(result.added) + ".")
    if result.unconfirmed:
        lines.append(
            "In the description but found by no expert (likely hallucinated, remove): "
            + ", ".join(result.unconfirmed)
            + "."
        )
    if result.regions:
        lines.append("Region descriptions: " + "; ".join(result.regions) + ".")
    if result.text_lines:
        lines.append("Text in the image: " + " | ".join(f'"{t}"' for t in result.text_lines))
    return "\n".join(lines) if lines else "No expert found anything to add."
