"""Keep generated image pairs only when CLIP matches each image with its own caption
(SPARCL's check on its positive/negative images)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmrecipe.backends.inputs import RequestError
from mmrecipe.errors import ConfigError
from mmrecipe.experts.opsupport import ExpertUser, open_rgb
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.imagegen.support import image_index_field
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("clip_pair_rank")
class ClipPairRank(ExpertUser, FilterOp):
    """For images ``fields.<image_fields[i]>`` (indices into ``sample.images``) and captions
    ``fields.<caption_fields[i]>``, computes the CLIP cosine of every image with every caption
    and keeps the sample only when each image scores its own caption highest, by more than
    ``min_margin``. Stores ``scores.pair_rank_margin`` (the smallest own-minus-best-other
    margin) and ``scores.pair_own_similarity`` (the smallest own cosine).

    Rejects: ``wrong_rank`` (an image prefers another caption), ``low_similarity`` (below
    ``min_similarity``), ``no_image`` / ``no_text`` / ``unreadable_image``.

    Args:
        backend: a ``type: embedder`` backend
        image_fields: fields holding image indices (generate_image's output_field)
        caption_fields: the captions, in the same order
        min_margin: own cosine minus the best other caption's cosine must exceed this
        min_similarity: each image's cosine with its own caption, at least (None: no floor)
    """

    capability = "image_embedding"

    def __init__(
        self,
        backend: str,
        image_fields: list[str] | None = None,
        caption_fields: list[str] | None = None,
        min_margin: float = 0.0,
        min_similarity: float | None = None,
    ) -> None:
        self.backend_name = backend
        self.image_fields = list(image_fields or ["positive_image", "negative_image"])
        self.caption_fields = list(caption_fields or ["positive_caption", "negative_caption"])
        if len(self.image_fields) != len(self.caption_fields) or len(self.image_fields) < 2:
            raise ConfigError(
                "clip_pair_rank: image_fields and caption_fields need the same length, >= 2"
            )
        self.min_margin = min_margin
        self.min_similarity = min_similarity
        self.reads = (
            "images",
            *(f"fields.{f}" for f in self.image_fields + self.caption_fields),
        )
        self.writes = ("scores.pair_rank_margin", "scores.pair_own_similarity")

    def score(self, samples: list[Sample]) -> None:
        live: list[tuple[Sample, list[Any], list[str]]] = []
        for sample in samples:
            if sample.rejected:
                continue
            indices = [image_index_field(sample, f) for f in self.image_fields]
            texts = [sample.fields.get(f) for f in self.caption_fields]
            if any(i is None for i in indices):
                sample.reject(self.name, "no_image", "an image field names no image")
                continue
            if not all(isinstance(t, str) and t.strip() for t in texts):
                sample.reject(self.name, "no_text", "a caption field is empty")
                continue
            try:
                images = [open_rgb(sample.images[i]) for i in indices]  # type: ignore[index]
            except RequestError as exc:
                sample.reject(self.name, "unreadable_image", str(exc))
                continue
            live.append((sample, images, texts))  # type: ignore[arg-type]
        if not live:
            return
        k = len(self.image_fields)
        ivecs = self.expert.embed_images([im for _, ims, _ in live for im in ims])
        tvecs = self.expert.embed_texts([t for _, _, ts in live for t in ts])
        for n, (sample, _, _) in enumerate(live):
            sims = ivecs[n * k : (n + 1) * k] @ tvecs[n * k : (n + 1) * k].T
            own = np.diag(sims)
            others = np.where(np.eye(k, dtype=bool), -np.inf, sims).max(axis=1)
            sample.scores["pair_rank_margin"] = round(float((own - others).min()), 5)
            sample.scores["pair_own_similarity"] = round(float(own.min()), 5)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        margin = sample.scores.get("pair_rank_margin")
        if margin is None:
            return "no_score"
        if margin <= self.min_margin:
            return "wrong_rank", f"margin {margin:.4f} (an image is closer to another caption)"
        own = sample.scores.get("pair_own_similarity", 0.0)
        if self.min_similarity is not None and own < self.min_similarity:
            return "low_similarity", f"{own:.4f} < {self.min_similarity}"
        return None
