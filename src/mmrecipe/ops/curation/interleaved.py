"""Reading an interleaved document's ``fields.segments`` (see ``mmrecipe.io.interleaved``):
which text goes with which image, and the document as plain text for a judge."""

from __future__ import annotations

from typing import Any

from mmrecipe.sample import Sample


def segments(sample: Sample) -> list[dict[str, Any]]:
    value = sample.fields.get("segments")
    if not isinstance(value, list):
        return []
    return [s for s in value if isinstance(s, dict) and s.get("type") in ("text", "image")]


def image_indices(sample: Sample) -> list[int]:
    """The sample's image indices in reading order (valid ones only; a sample that is not
    an interleaved document: its images in order)."""
    if "segments" not in sample.fields:
        return list(range(len(sample.images)))
    out = []
    for seg in segments(sample):
        if seg["type"] == "image":
            k = seg.get("image")
            if isinstance(k, int) and 0 <= k < len(sample.images):
                out.append(k)
    return out


def adjacent_texts(sample: Sample) -> list[tuple[int, str]]:
    """(image index, its text): the first text after the image, else the last one before it
    (articles caption below, tutorials describe the step after the picture)."""
    segs = segments(sample)
    pairs = []
    for i, seg in enumerate(segs):
        if seg["type"] != "image" or not isinstance(seg.get("image"), int):
            continue
        if not 0 <= seg["image"] < len(sample.images):
            continue
        after = next(
            (
                s["text"]
                for s in segs[i + 1 :]
                if s["type"] == "text" and str(s.get("text", "")).strip()
            ),
            None,
        )
        before = next(
            (
                s["text"]
                for s in reversed(segs[:i])
                if s["type"] == "text" and str(s.get("text", "")).strip()
            ),
            None,
        )
        text = after if after is not None else before
        if text is not None:
            pairs.append((seg["image"], str(text)))
    return pairs


def document_text(sample: Sample, max_chars: int = 6000) -> str:
    """The text segments in order, images marked ``[image]``, cut to ``max_chars``."""
    parts = []
    for seg in segments(sample):
        parts.append("[image]" if seg["type"] == "image" else str(seg.get("text", "")).strip())
    text = "\n".join(p for p in parts if p)
    return text if len(text) <= max_chars else text[:max_chars] + " ..."
