"""Read the text in each sample's image with an OCR expert and keep what it read."""

from __future__ import annotations

from mmrecipe.backends.base import require
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("ocr")
class Ocr(FilterOp):
    """OCR one image per sample with an OCR backend (``type: tesseract``) and store the result
    in ``fields.<output_field>``: ``text``, ``lines`` and ``words`` with ``[x1, y1, x2, y2]``
    pixel boxes and 0–100 confidences, ``mean_conf``. Words below ``min_word_conf`` are dropped
    before storing. Scores: ``scores.ocr_words`` (words kept) and ``scores.ocr_conf`` (their
    mean confidence); the thresholds reject ``too_little_text`` and ``low_ocr_confidence``
    (OCR is deterministic and cheap, so it is not in the request cache: a redone shard reads
    its images again). An image the OCR cannot read is rejected as ``ocr_error``.

    Args:
        backend: name of an OCR backend declared in the recipe's ``backends:``
        image: which of the sample's images to read
        min_word_conf: drop words below this confidence (0-100)
        min_words: fewer kept words reject the sample (``too_little_text``)
        min_mean_conf: a lower mean confidence of the kept words rejects it
        output_field: where the OCR result goes
        lines_field: also store the kept lines as regions ``[{box, text, conf}]`` here, so a
            line-level model (TrOCR reads one line) can read each crop (``image_to_text``
            with ``regions_field``)
    """

    reads = ("images",)
    writes = ("fields.ocr", "scores.ocr_words", "scores.ocr_conf")

    def __init__(
        self,
        backend: str = "ocr",
        image: int = 0,
        min_word_conf: float = 0.0,
        min_words: int = 1,
        min_mean_conf: float = 0.0,
        output_field: str = "ocr",
        lines_field: str | None = None,
    ) -> None:
        if image < 0:
            raise ConfigError("ocr: image must be >= 0")
        self.backend_name = backend
        self.image = image
        self.min_word_conf = min_word_conf
        self.min_words = min_words
        self.min_mean_conf = min_mean_conf
        self.output_field = output_field
        self.lines_field = lines_field
        self.writes = (
            f"fields.{output_field}",
            "scores.ocr_words",
            "scores.ocr_conf",
            *((f"fields.{lines_field}",) if lines_field else ()),
        )
        self.backend = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.backend = ctx.backend(self.backend_name)
        require(self.backend, "ocr", step=self.name)

    def score(self, samples: list[Sample]) -> None:
        assert self.backend is not None, "setup() was not called"
        todo = [s for s in samples if not s.rejected]
        for sample in todo:
            if len(sample.images) <= self.image:
                sample.reject(self.name, "no_image", f"the sample has no image #{self.image}")
        todo = [s for s in todo if not s.rejected]
        results = self.backend.ocr([s.images[self.image] for s in todo])
        for sample, result in zip(todo, results, strict=True):
            if result.error:
                sample.reject(self.name, "ocr_error", result.error)
                continue
            kept = result.filtered(self.min_word_conf)
            sample.fields[self.output_field] = kept.to_dict()
            if self.lines_field:
                sample.fields[self.lines_field] = [
                    {"box": list(line.bbox), "text": line.text, "conf": round(line.conf, 2)}
                    for line in kept.lines
                ]
            sample.scores["ocr_words"] = len(kept.words)
            sample.scores["ocr_conf"] = round(kept.mean_conf, 2)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        words, conf = sample.scores.get("ocr_words", 0), sample.scores.get("ocr_conf", 0.0)
        if words < self.min_words:
            return "too_little_text", f"{words:g} words (min_words {self.min_words})"
        if conf < self.min_mean_conf:
            return "low_ocr_confidence", f"mean confidence {conf:g} < {self.min_mean_conf:g}"
        return None
