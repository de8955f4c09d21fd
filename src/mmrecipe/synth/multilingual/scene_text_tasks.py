"""Questions on placed text and their answers, re-derived from the ground truth alone.

Shared by the ``scene_text`` generator (bundled photos) and the ``scene_text_on_images`` op
(the user's photos): the ground truth holds every text region (its text, language, quad and
words), so OCR, text-at-box, grounded OCR and which-language answers are recomputed from it.
"""

from __future__ import annotations

import json
import random
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.synth.phrasing import compose

TASKS = ("ocr", "text_at_box", "grounded_ocr", "language")

LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "ru": "Russian",
    "ar": "Arabic",
    "hi": "Hindi",
    "zh": "Chinese",
    "ja": "Japanese",
}


def check_tasks(tasks: list[str] | None) -> list[str]:
    if tasks is None:
        return list(TASKS)
    bad = [t for t in tasks if t not in TASKS]
    if bad or not tasks:
        raise ConfigError(f"unknown scene-text task {bad or tasks}; known: {', '.join(TASKS)}")
    return list(tasks)


def make_question(rng: random.Random, task: str, gt: dict[str, Any]) -> dict[str, Any]:
    q: dict[str, Any] = {"task": task}
    if task == "ocr":
        q["text"] = compose(
            rng,
            ("", "", "This photo has text on it."),
            (
                "Read all the text in the image, line by line.",
                "Transcribe every line of text in this photo, top to bottom.",
                "What does the text in the image say? Write each line on its own line.",
                "Copy out the text exactly as written, one line per line.",
            ),
        )
    elif task == "text_at_box":
        k = rng.randrange(len(gt["regions"]))
        box = gt["regions"][k]["bbox"]
        q.update(
            region=k,
            text=f"What text is written inside the box {box} (x0, y0, x1, y1 in pixels)?",
        )
    elif task == "grounded_ocr":
        q["text"] = compose(
            rng,
            ("Find every line of text in the image.", "Locate each piece of text in the photo."),
            (
                'Answer as a JSON list of objects with "text" and "bbox" ([x0, y0, x1, y1] in '
                "pixels), top to bottom.",
                'Return JSON: a list of {{"text": ..., "bbox": [x0, y0, x1, y1]}} in pixel '
                "coordinates, in reading order.",
            ),
        )
    elif task == "language":
        k = rng.randrange(len(gt["regions"]))
        box = gt["regions"][k]["bbox"]
        q.update(region=k, text=f"In which language is the text inside the box {box} written?")
    else:
        raise ConfigError(f"unknown scene-text task {task!r}")
    return q


def derive_answer(gt: dict[str, Any]) -> str:
    q = gt["question"]
    task = q["task"]
    if task == "ocr":
        return "\n".join(r["text"] for r in gt["regions"])
    if task == "text_at_box":
        return str(gt["regions"][q["region"]]["text"])
    if task == "grounded_ocr":
        return json.dumps(
            [{"text": r["text"], "bbox": r["bbox"]} for r in gt["regions"]], ensure_ascii=False
        )
    if task == "language":
        return LANGUAGE_NAMES[gt["regions"][q["region"]]["language"]]
    raise ValueError(f"unknown scene-text task {task!r}")


def verify_answer(gt: dict[str, Any], answer: str) -> str | None:
    expected = derive_answer(gt)
    task = gt["question"]["task"]
    if task == "grounded_ocr":
        return _compare_grounded(json.loads(expected), answer)
    if task == "ocr":
        got = [" ".join(line.split()) for line in answer.strip().splitlines()]
        want = [" ".join(line.split()) for line in expected.splitlines()]
        return None if got == want else "transcription differs from the placed text"
    if " ".join(expected.split()).casefold() != " ".join(answer.split()).casefold():
        return f"expected {expected!r}, got {answer!r}"
    return None


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _compare_grounded(expected: list[dict[str, Any]], answer: str) -> str | None:
    """Same lines in order, each box overlapping its true box with IoU >= 0.5."""
    try:
        got = json.loads(answer)
        pairs = [(str(g["text"]), [float(v) for v in g["bbox"]]) for g in got]
    except (ValueError, TypeError, KeyError):
        return "the answer is not a JSON list of {text, bbox}"
    if len(pairs) != len(expected):
        return f"expected {len(expected)} lines, got {len(pairs)}"
    for want, (text, box) in zip(expected, pairs, strict=True):
        if text != want["text"]:
            return f"expected {want['text']!r}, got {text!r}"
        if len(box) != 4 or _iou(want["bbox"], box) < 0.5:
            return f"box of {text!r} is off: expected {want['bbox']}, got {box}"
    return None
