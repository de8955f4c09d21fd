"""What is known about an image, as text a language model reads (LLaVA's "symbolic
representation"): captions one per line, boxes as ``category: [x1, y1, x2, y2]`` in a stated
convention with the image size, OCR text line by line, tags as a comma-separated list. Never a
Python repr: a model that reads ``{'bbox': [...]}`` copies the braces into its answers.
"""

from __future__ import annotations

import re
from typing import Any

from mmrecipe.ops.annotations.boxes import DESCRIBE, BoxConvention, BoxError, format_box


class AnnotationError(ValueError):
    """An annotation that cannot be rendered (wrong shape): the sample is rejected with it."""


#: markup a dataset's text must not smuggle into a prompt or a target: image placeholders
#: (they would not match the images sent) and Qwen-VL's grounding tags
_MARKUP = re.compile(r"</?(?:image|ref|box|quad)>", re.I)


def clean(text: Any) -> str:
    """One line of annotation text: whitespace collapsed (a caption's newlines would break the
    one-per-line layout), image placeholders and grounding tags removed."""
    return " ".join(_MARKUP.sub(" ", str(text)).split())


def render_captions(captions: Any) -> list[str]:
    """Captions (a string or a list of strings) as lines, empty ones dropped."""
    if captions is None:
        return []
    if isinstance(captions, str):
        captions = [captions]
    if not isinstance(captions, list):
        raise AnnotationError(f"captions must be a string or a list, got {type(captions).__name__}")
    return [clean(c) for c in captions if isinstance(c, str) and c.strip()]


def render_boxes(
    boxes: Any,
    width: int,
    height: int,
    convention: BoxConvention,
    *,
    max_boxes: int | None = None,
) -> tuple[list[str], int]:
    """Boxes (``{"bbox": [x, y, w, h], "category": name}``, pixels) as ``name: <box>`` lines;
    returns the lines and how many boxes were skipped as unplaceable."""
    if boxes is None:
        return [], 0
    if not isinstance(boxes, list):
        raise AnnotationError(f"boxes must be a list, got {type(boxes).__name__}")
    lines: list[str] = []
    skipped = 0
    for box in boxes:
        if not isinstance(box, dict) or "bbox" not in box:
            raise AnnotationError(f"a box is {{bbox: [x, y, w, h], category: name}}, got {box!r}")
        try:
            coords = format_box(box["bbox"], width, height, convention)
        except BoxError:
            skipped += 1
            continue
        lines.append(f"{clean(box.get('category') or 'object')}: {coords}")
        if max_boxes is not None and len(lines) >= max_boxes:
            break
    return lines, skipped


def render_ocr(ocr: Any, *, min_conf: float = 0.0) -> list[str]:
    """OCR text line by line: an OCR result (``{"lines": [{"text", "conf"}]}``, what the
    ``ocr`` op stores), a list of strings, or one string. Lines below ``min_conf`` are left out."""
    if ocr is None:
        return []
    if isinstance(ocr, str):
        return [clean(line) for line in ocr.splitlines() if line.strip()]
    if isinstance(ocr, dict):
        lines = ocr.get("lines")
        if not isinstance(lines, list):
            raise AnnotationError("an OCR result needs a 'lines' list")
        out = []
        for line in lines:
            if not isinstance(line, dict) or not str(line.get("text", "")).strip():
                continue
            conf = line.get("conf")
            if isinstance(conf, int | float) and conf < min_conf:
                continue
            out.append(clean(line["text"]))
        return out
    if isinstance(ocr, list):
        return [clean(t) for t in ocr if isinstance(t, str) and t.strip()]
    raise AnnotationError(f"OCR must be a result, a list or a string, got {type(ocr).__name__}")


def render_tags(tags: Any) -> str:
    """Tags (strings, or ``{"name", "score"}`` objects) as one comma-separated line."""
    if tags is None:
        return ""
    if isinstance(tags, str):
        return clean(tags)
    if not isinstance(tags, list):
        raise AnnotationError(f"tags must be a list, got {type(tags).__name__}")
    names = []
    for tag in tags:
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.strip():
            names.append(clean(name))
    return ", ".join(dict.fromkeys(names))


def box_header(width: int, height: int, convention: BoxConvention) -> str:
    """The line above the boxes: image size and how to read the coordinates."""
    return f"Objects (image of {width}x{height} pixels; boxes as {DESCRIBE[convention]}):"


def image_size(sample_images: list[Any]) -> tuple[int, int]:
    """(width, height) of a sample's first image: from its reference when the reader knew it
    (COCO's ``width``/``height``), else from the file's header (no full decode)."""
    from PIL import Image

    if not sample_images:
        raise AnnotationError("the sample has no image to place boxes on")
    ref = sample_images[0]
    if ref.width and ref.height:
        return int(ref.width), int(ref.height)
    try:
        with Image.open(ref.path) as im:
            return im.size
    except (OSError, ValueError) as exc:
        raise AnnotationError(f"cannot read the image size of {ref.path}: {exc}") from None
