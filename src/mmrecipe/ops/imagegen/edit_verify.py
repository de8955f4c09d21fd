"""Keep an edit triplet only if the edit happened, stayed where asked and goes the way the
caption change says (InstructPix2Pix's CLIP filters plus a pixel check outside the region)."""

from __future__ import annotations

from typing import Any

from mmrecipe.backends.inputs import RequestError
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.experts.opsupport import open_rgb
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.imagegen.support import image_index_field, mask_from
from mmrecipe.ops.imagegen.verify import clip_direction, cosine, pixel_change
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("edit_verify")
class EditVerify(FilterOp):
    """Scores each (source, edited) pair and keeps it within the thresholds.

    Scores (all stored, so a finished run can be re-thresholded):
    ``edit_changed`` (fraction of pixels changed beyond ``pixel_tolerance``, inside the region,
    or over the whole image without one), ``edit_outside_changed`` (the same outside the
    region), with a ``backend`` (``type: embedder``) ``edit_image_similarity`` (CLIP cosine of
    source and edited image) and, with both caption fields, ``edit_clip_direction`` (cosine of
    the image change and the caption change in CLIP space).

    Rejects: ``no_edit`` (changed < ``min_changed``), ``edit_leaked`` (outside changed >
    ``max_outside_changed``), ``low_image_similarity``, ``low_clip_direction``; ``no_edited_image``
    when the sample has no edited image, ``unreadable_image`` when a file cannot be read.

    Args:
        backend: a ``type: embedder`` backend (None: pixel checks only)
        edited_field: the field holding the edited image's index (edit_image's output_field)
        source_field: the field holding the source image's index
        region_field: the edit region (a COCO RLE, a region with mask or box, or a box)
        source_caption_field: the caption of the source image
        target_caption_field: the caption the edited image should have
        pixel_tolerance: a pixel changed when a channel moved by more than this (0-255)
        min_changed: the least fraction of changed pixels (inside the region) for an edit
        max_outside_changed: the largest fraction of changed pixels outside the region
        min_image_similarity: InstructPix2Pix keeps CLIP image similarity >= 0.75
        min_clip_direction: InstructPix2Pix keeps CLIP directional similarity >= 0.2
        global_types: edit types (``fields.edit_type``) that change the whole picture
            (style, background): no region check for them, the whole image counts; every
            other type is checked inside / outside its region (an empty region list rejects
            the sample: ``target_not_found``)
    """

    def __init__(
        self,
        backend: str | None = None,
        edited_field: str = "edited_image",
        source_field: str = "source_image",
        region_field: str | None = None,
        source_caption_field: str | None = "source_caption",
        target_caption_field: str | None = "target_caption",
        pixel_tolerance: int = 16,
        min_changed: float = 0.01,
        max_outside_changed: float = 0.1,
        min_image_similarity: float | None = 0.75,
        min_clip_direction: float | None = 0.2,
        global_types: list[str] | None = None,
    ) -> None:
        if not 0 <= pixel_tolerance <= 255:
            raise ConfigError("edit_verify: pixel_tolerance must be within 0..255")
        if (source_caption_field is None) != (target_caption_field is None):
            raise ConfigError(
                "edit_verify: set both source_caption_field and target_caption_field, or neither"
            )
        self.backend_name = backend
        self.edited_field = edited_field
        self.source_field = source_field
        self.region_field = region_field
        self.source_caption_field = source_caption_field
        self.target_caption_field = target_caption_field
        self.pixel_tolerance = pixel_tolerance
        self.min_changed = min_changed
        self.max_outside_changed = max_outside_changed
        self.min_image_similarity = min_image_similarity
        self.min_clip_direction = min_clip_direction
        self.global_types = set(global_types or [])
        reads = ["images", f"fields.{edited_field}", f"fields.{source_field}"]
        if region_field:
            reads.append(f"fields.{region_field}")
        if self.global_types:
            reads.append("fields.edit_type")
        if backend and source_caption_field and target_caption_field:
            reads += [f"fields.{source_caption_field}", f"fields.{target_caption_field}"]
        self.reads = tuple(reads)
        writes = ["scores.edit_changed"]
        if region_field:
            writes.append("scores.edit_outside_changed")
        if backend:
            writes.append("scores.edit_image_similarity")
            if source_caption_field:
                writes.append("scores.edit_clip_direction")
        self.writes = tuple(writes)
        self.embedder: Any = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        if self.backend_name:
            from mmrecipe.backends.experts.base import require_expert

            self.embedder = ctx.backend(self.backend_name)
            require_expert(self.embedder, "image_embedding", self.name)
            if self.source_caption_field:
                require_expert(self.embedder, "text_embedding", self.name)

    def _pair(self, sample: Sample) -> tuple[Any, Any] | None:
        edited = image_index_field(sample, self.edited_field)
        source = image_index_field(sample, self.source_field)
        if edited is None:
            sample.reject(
                self.name, "no_edited_image", f"fields.{self.edited_field} names no image"
            )
            return None
        try:
            return (
                open_rgb(sample.images[source if source is not None else 0]),
                open_rgb(sample.images[edited]),
            )
        except RequestError as exc:
            sample.reject(self.name, "unreadable_image", str(exc))
            return None

    def score(self, samples: list[Sample]) -> None:
        opened: list[tuple[Sample, Any, Any]] = []
        for sample in samples:
            if sample.rejected:
                continue
            pair = self._pair(sample)
            if pair is None:
                continue
            src, edit = pair
            mask = None
            whole = sample.fields.get("edit_type") in self.global_types
            if self.region_field and not whole:
                value = sample.fields.get(self.region_field)
                if value == []:
                    sample.reject(
                        self.name,
                        "target_not_found",
                        f"no region of the edit's target ({sample.fields.get('edit_target')!r})",
                    )
                    continue
                mask = mask_from(value, *src.size)
                if mask is None:
                    sample.reject(
                        self.name,
                        "no_region",
                        f"fields.{self.region_field} holds no region of the image's size",
                    )
                    continue
            try:
                change = pixel_change(src, edit, mask, self.pixel_tolerance)
            except ValueError as exc:
                sample.reject(self.name, "size_mismatch", str(exc))
                continue
            sample.scores["edit_changed"] = round(change.inside, 5)
            if change.outside is not None:
                sample.scores["edit_outside_changed"] = round(change.outside, 5)
            opened.append((sample, src, edit))
        if self.embedder is None or not opened:
            return
        vecs = self.embedder.embed_images([im for _, s, e in opened for im in (s, e)])
        texts: list[str] = []
        with_text: list[int] = []
        if self.source_caption_field and self.target_caption_field:
            for i, (sample, _, _) in enumerate(opened):
                a = sample.fields.get(self.source_caption_field)
                b = sample.fields.get(self.target_caption_field)
                if isinstance(a, str) and a.strip() and isinstance(b, str) and b.strip():
                    texts += [a, b]
                    with_text.append(i)
        tvecs = self.embedder.embed_texts(texts) if texts else None
        for i, (sample, _, _) in enumerate(opened):
            sample.scores["edit_image_similarity"] = round(cosine(vecs[2 * i], vecs[2 * i + 1]), 5)
        for j, i in enumerate(with_text):
            assert tvecs is not None
            sample = opened[i][0]
            direction = clip_direction(vecs[2 * i], vecs[2 * i + 1], tvecs[2 * j], tvecs[2 * j + 1])
            sample.scores["edit_clip_direction"] = round(direction, 5)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        s = sample.scores
        changed = s.get("edit_changed")
        if changed is None:
            return "no_score"
        if changed < self.min_changed:
            return "no_edit", f"{changed:.4f} of the pixels changed < {self.min_changed}"
        outside = s.get("edit_outside_changed")
        if outside is not None and outside > self.max_outside_changed:
            return (
                "edit_leaked",
                f"{outside:.4f} changed outside the region > {self.max_outside_changed}",
            )
        if self.embedder is not None:
            sim = s.get("edit_image_similarity")
            if (
                self.min_image_similarity is not None
                and sim is not None
                and sim < self.min_image_similarity
            ):
                return "low_image_similarity", f"{sim:.4f} < {self.min_image_similarity}"
            if self.source_caption_field and self.min_clip_direction is not None:
                direction = s.get("edit_clip_direction")
                if direction is None:
                    return "no_caption", "source or target caption missing: no CLIP direction"
                if direction < self.min_clip_direction:
                    return "low_clip_direction", f"{direction:.4f} < {self.min_clip_direction}"
        return None
