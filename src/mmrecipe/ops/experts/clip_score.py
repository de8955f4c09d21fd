"""CLIP-score filtering of image-text pairs (LAION, DataComp): cosine similarity of the image
and its text in an embedder's space, kept above a threshold."""

from __future__ import annotations

import numpy as np

from mmrecipe.context import OpContext
from mmrecipe.experts.embstore import VectorReader
from mmrecipe.experts.opsupport import ExpertUser, text_reads
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("clip_score")
class ClipScore(ExpertUser, FilterOp):
    """Stores ``scores.<score_name>`` (cosine in [-1, 1]) and drops pairs below ``min_score``
    (``low_clip_score``) or above ``max_score`` (``high_clip_score``: text rendered in the
    image).

    Args:
        backend: a ``type: embedder`` backend
        text_source: the pair's text: a field name, or "@assistant" for the last assistant turn
        min_score: keep pairs at or above this cosine (LAION-400M: 0.3 with ViT-B/32)
        max_score: drop pairs above this cosine (None: no upper bound)
        image_embedding_field: reuse image vectors an ``embed`` step stored (same backend)
        score_name: the key in ``sample.scores``
        image_index: which of the sample's images to score
    """

    capability = "image_embedding"

    def __init__(
        self,
        backend: str,
        text_source: str = "@assistant",
        min_score: float = 0.3,
        max_score: float | None = None,
        image_embedding_field: str | None = None,
        score_name: str = "clip_score",
        image_index: int = 0,
    ) -> None:
        self.backend_name = backend
        self.text_source = text_source
        self.min_score = min_score
        self.max_score = max_score
        self.image_embedding_field = image_embedding_field
        self.score_name = score_name
        self.image_index = image_index
        reads = ["images", *text_reads(text_source)]
        if image_embedding_field:
            reads.append(f"fields.{image_embedding_field}")
        self.reads = tuple(reads)
        self.writes = (f"scores.{score_name}",)

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self._reader = VectorReader(ctx.run_dir)

    def score(self, samples: list[Sample]) -> None:
        texts = self.texts_of(samples, self.text_source, f"no text in {self.text_source} to score")
        stored: dict[str, np.ndarray] = {}
        if self.image_embedding_field:
            for sample in samples:
                ref = sample.fields.get(self.image_embedding_field)
                if not sample.rejected and ref is not None:
                    try:
                        stored[sample.id] = self._reader.get(ref)
                    except ValueError:
                        pass  # embed again below
        need = [s for s in samples if not s.rejected and s.id not in stored]
        opened = self.open_images(need, self.name)
        if opened:
            for (sample, _), vec in zip(
                opened, self.expert.embed_images([im for _, im in opened]), strict=True
            ):
                stored[sample.id] = vec
        live = [s for s in samples if not s.rejected and s.id in stored]
        if not live:
            return
        text_vecs = self.expert.embed_texts([texts[s.id] for s in live])
        for sample, tvec in zip(live, text_vecs, strict=True):
            ivec = stored[sample.id]
            if ivec.shape != tvec.shape:
                sample.reject(
                    self.name,
                    "embedding_mismatch",
                    f"stored image vector has {ivec.shape[0]} dims, the text vector {tvec.shape[0]}: "
                    "embed with the same backend",
                )
                continue
            cos = float(
                np.dot(ivec, tvec) / max(np.linalg.norm(ivec) * np.linalg.norm(tvec), 1e-12)
            )
            sample.scores[self.score_name] = round(cos, 5)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        value = sample.scores.get(self.score_name)
        if value is None:
            return "no_score"
        if value < self.min_score:
            return "low_clip_score", f"{value:.4f} < {self.min_score}"
        if self.max_score is not None and value > self.max_score:
            return "high_clip_score", f"{value:.4f} > {self.max_score}"
        return None
