"""The edit view of a card: source and edited image side by side, the instruction and the
verification scores (edit triplets made by edit_image and checked by edit_verify)."""

from __future__ import annotations

from typing import Any

from mmrecipe.report.thumbnails import Thumbnails

#: the scores edit_verify stores, in display order
EDIT_SCORES = (
    "edit_changed",
    "edit_outside_changed",
    "edit_image_similarity",
    "edit_clip_direction",
)


def _index(fields: dict[str, Any], key: str, n: int, default: int | None) -> int | None:
    value = fields.get(key, default)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n else None
    )


def edit_indices(record: dict[str, Any]) -> tuple[int, int] | None:
    """(source, edited) image indices of a record holding an edit, else None."""
    fields = record.get("fields")
    images = record.get("images")
    if not isinstance(fields, dict) or not isinstance(images, list):
        return None
    edited = _index(fields, "edited_image", len(images), None)
    source = _index(fields, "source_image", len(images), 0)
    if edited is None or source is None:
        return None
    return source, edited


def edit_view(
    record: dict[str, Any], thumbs: Thumbnails, image: Any, clean: Any
) -> dict[str, Any] | None:
    """``{"source", "edited", "instruction", "scores"}`` for a record holding an edit (its
    ``fields.edited_image`` names one of its images), else None. ``image(path, thumbs)`` and
    ``clean(text)`` are the card's own helpers, so the view is escaped and sized like it."""
    pair = edit_indices(record)
    if pair is None:
        return None
    source, edited = pair
    fields, images = record["fields"], record["images"]

    def path(i: int) -> str:
        item = images[i]
        return str(item.get("path", "")) if isinstance(item, dict) else str(item)

    scores = record.get("scores") if isinstance(record.get("scores"), dict) else {}
    return {
        "source": image(path(source), thumbs),
        "edited": image(path(edited), thumbs),
        "instruction": clean(fields.get("instruction", "")),
        "scores": [[k, scores[k]] for k in EDIT_SCORES if isinstance(scores.get(k), int | float)],
    }
