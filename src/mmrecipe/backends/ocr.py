"""The OCR expert interface: what any OCR backend returns and what ops rely on.

A backend with ``"ocr"`` in its ``capabilities`` has ``ocr(images) -> list[OcrResult]``: one
result per image, in order; a failure is a result with ``error`` set, never an exception for one
bad image. Boxes are ``[x1, y1, x2, y2]`` in pixels of the image as given, confidences 0–100,
words and lines in reading order. Tesseract implements it (``mmrecipe.backends.tesseract``);
other experts (TrOCR, Florence-2's OCR task) can return the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from mmrecipe.sample import ImageRef

OcrInput = ImageRef | str | Path | Image.Image


@dataclass
class OcrWord:
    text: str
    bbox: list[int]
    conf: float
    #: index of the word's line in ``OcrResult.lines``
    line: int


@dataclass
class OcrLine:
    text: str
    bbox: list[int]
    #: mean confidence of the line's words
    conf: float


@dataclass
class OcrResult:
    """What Tesseract read in one image (reading order), or why it could not."""

    words: list[OcrWord] = field(default_factory=list)
    lines: list[OcrLine] = field(default_factory=list)
    width: int = 0
    height: int = 0
    engine: str = ""
    error: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def mean_conf(self) -> float:
        return sum(w.conf for w in self.words) / len(self.words) if self.words else 0.0

    def filtered(self, min_conf: float) -> OcrResult:
        """Only the words at or above ``min_conf``; lines rebuilt from what is left."""
        if min_conf <= 0:
            return self
        kept = [w for w in self.words if w.conf >= min_conf]
        return assemble(kept, self.width, self.height, self.engine)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["text"] = self.text
        out["mean_conf"] = round(self.mean_conf, 2)
        if out["error"] is None:
            del out["error"]
        return out


def assemble(words: list[OcrWord], width: int, height: int, engine: str) -> OcrResult:
    """Group words (in reading order, ``line`` holding a line key) into lines."""
    lines: list[OcrLine] = []
    members: list[list[OcrWord]] = []
    keys: dict[int, int] = {}
    for word in words:
        if word.line not in keys:
            keys[word.line] = len(members)
            members.append([])
        members[keys[word.line]].append(word)
    out_words = []
    for index, group in enumerate(members):
        xs1, ys1 = min(w.bbox[0] for w in group), min(w.bbox[1] for w in group)
        xs2, ys2 = max(w.bbox[2] for w in group), max(w.bbox[3] for w in group)
        conf = round(sum(w.conf for w in group) / len(group), 2)
        lines.append(OcrLine(" ".join(w.text for w in group), [xs1, ys1, xs2, ys2], conf))
        out_words.extend(OcrWord(w.text, w.bbox, w.conf, index) for w in group)
    return OcrResult(out_words, lines, width, height, engine)


@runtime_checkable
class OcrBackend(Protocol):
    """An OCR expert (see the module docstring)."""

    name: str
    model: str
    capabilities: frozenset[str]

    def ocr(self, images: Sequence[OcrInput]) -> list[OcrResult]: ...

    def close(self) -> None: ...
