"""Text overlays and watermarks: how much of an image an OCR engine reads as text, and how
much of that sits along the borders, where watermarks, logos and captions burned into web
images usually are. A measured likelihood, not a trained watermark detector: a photo of a
street sign also holds text (gate on the border share, or add a watermark classifier with
``classifier_score``)."""

from __future__ import annotations

from typing import Any, ClassVar

from mmrecipe.backends.base import require
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.intake.image_scores import ImageScorer
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef


@register_op("text_overlay_score")
class TextOverlayScore(ImageScorer):
    """Reads each image with an OCR backend (``type: tesseract``) and stores, for the sample's
    most texty image: ``scores.<step>_text_area`` (share of the image covered by word boxes of
    confidence >= ``min_word_conf``, 0..1), ``scores.<step>_border_text_area`` (the share of
    word-box area inside the outer ``border`` band: corner and edge marks) and
    ``scores.<step>_words``. Gate with ``score_gate`` ``maximums``. Rejects:
    ``unreadable_image`` (the OCR's error in the detail).

    Args:
        backend: an OCR backend of the recipe (``type: tesseract``)
        min_word_conf: words below this confidence (0-100) are not counted
        border: width of the border band as a share of each side (0..0.5)
    """

    metrics: ClassVar[dict[str, bool]] = {
        "text_area": False,
        "border_text_area": False,
        "words": False,
    }

    def __init__(
        self, backend: str = "ocr", min_word_conf: float = 60.0, border: float = 0.15
    ) -> None:
        if not 0 < border < 0.5:
            raise ConfigError("text_overlay_score: border must be between 0 and 0.5")
        self.backend_name = backend
        self.min_word_conf = min_word_conf
        self.border = border
        self.backend: Any = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.backend = ctx.backend(self.backend_name)
        require(self.backend, "ocr", step=self.name)

    def settings(self) -> dict[str, Any]:
        model = getattr(self.backend, "lang", None)
        return {"conf": self.min_word_conf, "border": self.border, "lang": model}

    def measure(self, ref: ImageRef) -> dict[str, float]:
        result = self.backend.ocr([ref])[0]
        if result.error:
            raise ValueError(result.error)
        width, height = max(1, result.width), max(1, result.height)
        bx, by = self.border * width, self.border * height
        area = border_area = 0.0
        words = 0
        for word in result.words:
            if word.conf < self.min_word_conf or not word.text.strip():
                continue
            x1, y1, x2, y2 = word.bbox
            box = max(0, x2 - x1) * max(0, y2 - y1)
            words += 1
            area += box
            inner_w = max(0.0, min(x2, width - bx) - max(x1, bx))
            inner_h = max(0.0, min(y2, height - by) - max(y1, by))
            border_area += box - inner_w * inner_h
        return {
            "text_area": min(1.0, area / (width * height)),
            "border_text_area": min(1.0, border_area / (width * height)),
            "words": float(words),
        }
