"""CoMM's image-sequence filter: the images of an interleaved document should belong
together; consecutive images' embedding cosine, averaged, must reach a threshold."""

from __future__ import annotations

import numpy as np

from mmrecipe.backends.inputs import RequestError
from mmrecipe.experts.opsupport import ExpertUser, open_rgb
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.curation.interleaved import image_indices
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("image_consistency")
class ImageConsistency(ExpertUser, FilterOp):
    """Stores ``scores.image_consistency`` (mean cosine of consecutive images) and
    ``scores.image_consistency_min``; documents with fewer than two images are not scored and
    kept. An unreadable image rejects the document (``unreadable_image``).

    Args:
        backend: a ``type: embedder`` backend (CLIP, SigLIP)
        min_score: keep documents at or above this mean cosine (CoMM, per the survey: 0.3)
    """

    capability = "image_embedding"
    reads = ("images",)  # and fields.segments, which the interleaved reader writes
    writes = ("scores.image_consistency", "scores.image_consistency_min")

    def __init__(self, backend: str, min_score: float = 0.3) -> None:
        self.backend_name = backend
        self.min_score = min_score

    def score(self, samples: list[Sample]) -> None:
        jobs: list[tuple[Sample, list[int]]] = []
        images = []
        for sample in samples:
            order = image_indices(sample)
            if sample.rejected or len(order) < 2:
                continue
            try:
                loaded = [open_rgb(sample.images[k]) for k in order]
            except RequestError as exc:
                sample.reject(self.name, "unreadable_image", str(exc))
                continue
            jobs.append((sample, order))
            images.extend(loaded)
        if not jobs:
            return
        vectors = self.expert.embed_images(images)
        start = 0
        for sample, order in jobs:
            vecs = vectors[start : start + len(order)]
            start += len(order)
            cos = np.sum(vecs[:-1] * vecs[1:], axis=1)
            sample.scores["image_consistency"] = round(float(cos.mean()), 5)
            sample.scores["image_consistency_min"] = round(float(cos.min()), 5)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        value = sample.scores.get("image_consistency")
        if value is not None and value < self.min_score:
            return "inconsistent_images", f"mean consecutive cosine {value:.4f} < {self.min_score}"
        return None
