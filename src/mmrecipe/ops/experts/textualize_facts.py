"""Image Textualization's merge: check a caption against detectors, taggers and OCR and write
the facts an LLM rewrites it with."""

from __future__ import annotations

from pathlib import Path

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.experts.textualize import facts_text, textualize
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("textualize_facts")
class TextualizeFacts(MapOp):
    """Writes ``fields.<output_field>`` (lines for a rewriting prompt: objects with counts and
    positions, confirmed, missing and unconfirmed objects, text read) and
    ``fields.textualization`` (the same as lists). A sample without the caption field is
    rejected (``missing_field``); missing expert fields count as "found nothing".

    Args:
        caption_field: the MLLM's holistic caption
        objects_field: detections (dicts with label and box)
        tags_field: tags (strings or dicts with tag)
        ocr_field: text read in the image (a string, lines, or an ``ocr`` step's result); None: no OCR
        vocabulary: extra object names to look for in the caption (besides the experts' own)
        vocabulary_file: a text file with one object name per line (e.g. a tagger's tag list)
        mentions_field: the objects the caption names, extracted by an LLM (a list or a
            comma-separated string; the paper's way); None: look for the vocabulary instead
        output_field: where the facts text goes
    """

    def __init__(
        self,
        caption_field: str = "caption",
        objects_field: str | None = "objects",
        tags_field: str | None = "tags",
        ocr_field: str | None = None,
        vocabulary: list[str] | None = None,
        vocabulary_file: str | None = None,
        mentions_field: str | None = None,
        output_field: str = "facts",
    ) -> None:
        self.caption_field = caption_field
        self.objects_field = objects_field
        self.tags_field = tags_field
        self.ocr_field = ocr_field
        self.vocabulary = list(vocabulary or [])
        if vocabulary_file:
            path = Path(vocabulary_file)
            if not path.is_file():
                raise ConfigError(f"textualize_facts: vocabulary_file {path} does not exist")
            self.vocabulary += [
                w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip()
            ]
        self.output_field = output_field
        self.mentions_field = mentions_field
        self.reads = tuple(
            f"fields.{f}"
            for f in (caption_field, objects_field, tags_field, ocr_field, mentions_field)
            if f
        )
        self.writes = (f"fields.{output_field}", "fields.textualization")

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            caption = sample.fields.get(self.caption_field)
            if not isinstance(caption, str) or not caption.strip():
                sample.reject(
                    self.name, "missing_field", f"no caption in fields.{self.caption_field}"
                )
                continue
            width, height = _size(sample)
            result = textualize(
                caption,
                objects=self._list(sample, self.objects_field),
                tags=self._list(sample, self.tags_field),
                ocr=sample.fields.get(self.ocr_field) or "" if self.ocr_field else "",
                width=width,
                height=height,
                vocabulary=self.vocabulary,
                named=self._named(sample),
            )
            sample.fields[self.output_field] = facts_text(result)
            sample.fields["textualization"] = result.to_dict()
        return samples

    def _named(self, sample: Sample) -> list[str] | None:
        if not self.mentions_field:
            return None
        value = sample.fields.get(self.mentions_field) or []
        if isinstance(value, str):
            value = [v for line in value.splitlines() for v in line.split(",")]
        return [str(v).strip(" .-*\t") for v in value if isinstance(v, str) and v.strip()]

    @staticmethod
    def _list(sample: Sample, field: str | None) -> list:
        value = sample.fields.get(field) if field else None
        return [v for v in value if isinstance(v, dict | str)] if isinstance(value, list) else []


def _size(sample: Sample) -> tuple[int, int]:
    """The first image's size (from its reference, else its header; 0 when unreadable)."""
    if not sample.images:
        return 0, 0
    ref = sample.images[0]
    if ref.width and ref.height:
        return ref.width, ref.height
    try:
        from PIL import Image

        with Image.open(ref.path) as im:
            return im.size
    except Exception:  # unreadable: positions are left out
        return 0, 0
