"""CoMM's image-text alignment filter: each image of an interleaved document against its
adjacent text, by embedding cosine (CLIP score)."""

from __future__ import annotations

import numpy as np

from mmrecipe.backends.inputs import RequestError
from mmrecipe.experts.opsupport import ExpertUser, open_rgb
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.curation.interleaved import adjacent_texts
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("image_text_alignment")
class ImageTextAlignment(ExpertUser, FilterOp):
    """Stores ``scores.image_text_alignment`` (mean cosine of each image with the first text
    after it, else the last before it) and ``scores.image_text_alignment_min``. Documents
    with no image-text pair are not scored and kept.

    Args:
        backend: a ``type: embedder`` backend (CLIP, SigLIP)
        min_score: keep documents whose mean cosine reaches this (CLIP ViT-B/32 pairs that
            match score ~0.3; CoMM's survey summary quotes 0.5 on its own scale)
        min_pair_score: also drop documents where any single pair is below this (None: off)
    """

    capability = "image_embedding"
    reads = ("images",)  # and fields.segments, which the interleaved reader writes
    writes = ("scores.image_text_alignment", "scores.image_text_alignment_min")

    def __init__(
        self, backend: str, min_score: float = 0.2, min_pair_score: float | None = None
    ) -> None:
        self.backend_name = backend
        self.min_score = min_score
        self.min_pair_score = min_pair_score

    def score(self, samples: list[Sample]) -> None:
        jobs: list[tuple[Sample, int]] = []
        images, texts = [], []
        for sample in samples:
            if sample.rejected:
                continue
            pairs = adjacent_texts(sample)
            try:
                loaded = [open_rgb(sample.images[k]) for k, _ in pairs]
            except RequestError as exc:
                sample.reject(self.name, "unreadable_image", str(exc))
                continue
            if pairs:
                jobs.append((sample, len(pairs)))
                images.extend(loaded)
                texts.extend(t for _, t in pairs)
        if not jobs:
            return
        cos = np.sum(self.expert.embed_images(images) * self.expert.embed_texts(texts), axis=1)
        start = 0
        for sample, n in jobs:
            part = cos[start : start + n]
            start += n
            sample.scores["image_text_alignment"] = round(float(part.mean()), 5)
            sample.scores["image_text_alignment_min"] = round(float(part.min()), 5)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        mean = sample.scores.get("image_text_alignment")
        if mean is None:
            return None
        if mean < self.min_score:
            return "misaligned_images", f"mean image-text cosine {mean:.4f} < {self.min_score}"
        low = sample.scores.get("image_text_alignment_min")
        if self.min_pair_score is not None and low is not None and low < self.min_pair_score:
            return (
                "misaligned_image",
                f"an image-text pair at cosine {low:.4f} < {self.min_pair_score}",
            )
        return None
