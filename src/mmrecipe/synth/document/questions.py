"""What is asked of a page or a scene, and the answer derived from its ground truth."""

from __future__ import annotations

import json
import random
from typing import Any

from mmrecipe.synth.phrasing import compose

MODES = ("page", "scene")
TASKS = ("ocr", "read_field", "word_at_box", "grounded_ocr")
TASKS_BY_MODE = {
    "page": ("ocr", "read_field", "word_at_box"),
    "scene": ("ocr", "word_at_box", "grounded_ocr"),
}
#: scikit-image sample photos shipped inside its wheel (no download) that a sign, a label or a
#: painted word could plausibly be on (no telescope field, micrograph, coins or moon; no close-up
#: of a cat, whose face fills the frame beyond what the cat-face cascade finds)


def make_question(rng: random.Random, task: str, gt: dict[str, Any]) -> dict[str, Any]:
    q: dict[str, Any] = {"task": task}
    if task == "ocr":
        q["text"] = compose(
            rng,
            ("", "", "This is {what}.", "The image shows {what}."),
            (
                "Read all the text in the image, line by line.",
                "Transcribe the text in this image.",
                "What text appears in the image? Write it out line by line.",
                "Perform OCR on the image and return every line of text.",
                "Copy out the text exactly as it is written.",
                "Write down everything the image says, keeping the line breaks.",
            ),
            what=rng.choice(
                ("a document page", "a page of text", "a scanned page", "a photo with text")
            ),
        )
    elif task == "read_field":
        key = rng.choice(sorted(gt["fields"]))
        q.update(key=key, text=f"According to the document, what is the {key}?")
    elif task == "word_at_box":
        k = rng.randrange(len(gt["words"]))
        box = gt["words"][k]["bbox"]
        q.update(word=k, text=f"What word is written inside the box {box} (x0, y0, x1, y1)?")
    elif task == "grounded_ocr":
        q["text"] = compose(
            rng,
            (
                "Find every word in the image.",
                "Locate each word of text in the image.",
                "Detect all the words and where they are.",
                "Spot every word in this image with its position.",
            ),
            (
                'Answer as a JSON list of objects with "text" and "bbox" ([x0, y0, x1, y1] in '
                "pixels).",
                'Return JSON: a list of {{"text": ..., "bbox": [x0, y0, x1, y1]}} in pixel '
                "coordinates, in reading order.",
                'Give a JSON array whose items have a "text" and a pixel "bbox" [x0, y0, x1, y1].',
            ),
        )
    return q


def derive_answer(gt: dict[str, Any]) -> str:
    task = gt["question"]["task"]
    if task == "ocr":
        return "\n".join(gt["lines"])
    if task == "read_field":
        return gt["fields"][gt["question"]["key"]]
    if task == "word_at_box":
        return gt["words"][gt["question"]["word"]]["text"]
    if task == "grounded_ocr":
        return json.dumps([{"text": w["text"], "bbox": w["bbox"]} for w in gt["words"]])
    raise ValueError(f"unknown document task {task!r}")


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def compare_grounded(expected: list[dict[str, Any]], answer: str) -> str | None:
    """Same words in order, each box overlapping its true box with IoU >= 0.5."""
    try:
        got = json.loads(answer)
        pairs = [(str(g["text"]), [float(v) for v in g["bbox"]]) for g in got]
    except (ValueError, TypeError, KeyError):
        return "the answer is not a JSON list of {text, bbox}"
    if len(pairs) != len(expected):
        return f"expected {len(expected)} words, got {len(pairs)}"
    for want, (text, box) in zip(expected, pairs, strict=True):
        if text != want["text"]:
            return f"expected word {want['text']!r}, got {text!r}"
        if len(box) != 4 or _iou(want["bbox"], box) < 0.5:
            return f"box of {text!r} is off: expected {want['bbox']}, got {box}"
    return None
