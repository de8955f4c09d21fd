"""Semantic deduplication (SemDeDup): drop samples whose embedding is nearly identical to a
kept sample's, found by k-means clustering then a within-cluster cosine threshold."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Literal

import numpy as np

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.experts.embstore import VectorReader
from mmrecipe.ops.base import BarrierOp
from mmrecipe.ops.intake.semdedup import semantic_dedup
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

log = logging.getLogger(__name__)


@register_op("semantic_dedup")
class SemanticDedup(BarrierOp):
    """A barrier: ``fit`` streams every sample's vector (from an ``embed`` step) into a memmap
    under ``RUN_DIR/state/``, clusters (faiss when installed, else numpy), marks
    near-duplicates; ``process_batch`` rejects them (``near_duplicate``, with the kept
    sample's id and the cosine). Samples without a vector are kept and counted.

    Args:
        embedding_field: the field an ``embed`` step filled
        eps: duplicates are closer than cosine 1 - eps (SemDeDup on LAION: 0.07 keeps ~50%)
        n_clusters: k of k-means (None: one cluster per ~1,000 samples; SemDeDup: 50,000 for
            LAION-440M)
        keep: which of a duplicate group survives: hard (farthest from its centroid,
            SemDeDup's default), easy (closest) or first (input order)
        kmeans_iterations: Lloyd iterations
        kmeans_sample: k-means trains on at most this many vectors
        kmeans_engine: numpy (BLAS) or faiss (pip install faiss-cpu)
        seed: k-means seed
    """

    reads = ()
    writes = ()

    def __init__(
        self,
        embedding_field: str = "image_embedding",
        eps: float = 0.07,
        n_clusters: int | None = None,
        keep: Literal["hard", "easy", "first"] = "hard",
        kmeans_iterations: int = 20,
        kmeans_sample: int = 100_000,
        kmeans_engine: Literal["numpy", "faiss"] = "numpy",
        seed: int = 0,
    ) -> None:
        if kmeans_engine == "faiss":
            try:
                import faiss  # noqa: F401
            except ImportError:
                raise ConfigError(
                    "semantic_dedup: kmeans_engine: faiss needs faiss-cpu (pip install faiss-cpu)"
                ) from None
        if not 0.0 <= eps < 2.0:
            raise ConfigError("semantic_dedup: eps must be in [0, 2)")
        if n_clusters is not None and n_clusters < 1:
            raise ConfigError("semantic_dedup: n_clusters must be >= 1")
        self.embedding_field = embedding_field
        self.eps = eps
        self.n_clusters = n_clusters
        self.keep = keep
        self.kmeans_iterations = kmeans_iterations
        self.kmeans_sample = kmeans_sample
        self.seed = seed
        self.kmeans_engine = kmeans_engine
        self.reads = (f"fields.{embedding_field}",)
        self._removed: dict[str, tuple[str, float]] = {}

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)

    def fit(self, samples: Iterable[Sample]) -> None:
        assert self.ctx is not None
        reader = VectorReader(self.ctx.run_dir)
        path = self.ctx.run_dir / "state" / f"semdedup-{self.name}.f32"
        path.parent.mkdir(parents=True, exist_ok=True)
        ids: list[str] = []
        #: each kept id's first image, named in the reject of the samples it survives
        images: list[str] = []
        dim = None
        missing = 0
        with open(path, "wb") as fh:
            for sample in samples:
                ref = sample.fields.get(self.embedding_field)
                try:
                    vec = reader.get(ref)
                except ValueError:
                    missing += 1
                    continue
                if dim is None:
                    dim = len(vec)
                if len(vec) != dim:
                    missing += 1
                    continue
                fh.write(np.asarray(vec, dtype=np.float32).tobytes())
                ids.append(sample.id)
                images.append(str(sample.images[0].path) if sample.images else "")
        self._removed = {}
        if missing:
            log.warning(
                "%s: %d sample(s) have no readable %s; kept as is",
                self.name,
                missing,
                self.embedding_field,
            )
        if not ids or dim is None:
            path.unlink(missing_ok=True)
            return
        x = np.memmap(path, dtype=np.float32, mode="r", shape=(len(ids), dim))
        k = self.n_clusters or max(1, math.ceil(len(ids) / 1000))
        result = semantic_dedup(
            x,
            eps=self.eps,
            n_clusters=k,
            keep=self.keep,
            n_iter=self.kmeans_iterations,
            sample_size=self.kmeans_sample,
            seed=self.seed,
            use_faiss=self.kmeans_engine == "faiss",
        )
        for i in np.flatnonzero(result.removed):
            j = int(result.duplicate_of[i])
            survivor = f"{ids[j]} (image {images[j]})" if images[j] else ids[j]
            self._removed[ids[i]] = (survivor, float(result.similarity[i]))
        del x
        path.unlink(missing_ok=True)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            hit = self._removed.get(sample.id)
            if hit is not None and not sample.rejected:
                sample.reject(
                    self.name, "near_duplicate", f"cosine {hit[1]:.4f} to sample {hit[0]}"
                )
        return samples
