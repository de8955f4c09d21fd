"""Image and text embeddings in one space (``type: embedder``): CLIP, SigLIP, SigLIP2.

Vectors come back L2-normalized as float32 numpy arrays, so a dot product is the cosine
similarity: what CLIP-score filters, semantic dedup and CoMM's consistency checks use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mmrecipe.backends.experts.base import ExpertBackend, ExpertSettings


class EmbedderSettings(ExpertSettings):
    #: longest text in tokens (None: the model's own limit, 77 for CLIP, 64 for SigLIP)
    max_text_tokens: int | None = None


def _features(out: Any) -> Any:
    """``get_*_features`` returns a tensor in transformers 4.x, an output object in 5.x."""
    if hasattr(out, "pooler_output") and not hasattr(out, "shape"):
        return out.pooler_output
    return out


class DualEncoder:
    """CLIP/SigLIP-style model behind ``embed_images`` / ``embed_texts`` (shared by the
    embedder and the zero-shot tagger)."""

    engine: Any
    processor: Any
    model_type: str
    device: str
    _torch: Any
    _lock: Any
    max_text_tokens: int

    def _load_dual(self, model: str, kw: dict[str, Any], max_text_tokens: int | None) -> None:
        tf = self._transformers  # type: ignore[attr-defined]
        config = tf.AutoConfig.from_pretrained(model, **kw)
        self.model_type = config.model_type
        self.processor = tf.AutoProcessor.from_pretrained(model, **kw)
        self.engine = self._place(tf.AutoModel.from_pretrained(model, **kw))  # type: ignore[attr-defined]
        text_cfg = getattr(config, "text_config", None)
        limit = getattr(text_cfg, "max_position_embeddings", None) or 77
        self.max_text_tokens = min(max_text_tokens or limit, limit)
        scale = getattr(self.engine, "logit_scale", None)
        self.logit_scale = float(scale.detach().exp()) if scale is not None else 1.0
        bias = getattr(self.engine, "logit_bias", None)
        self.logit_bias = float(bias.detach()) if bias is not None else None

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        """(n, d) unit vectors, one per PIL image."""
        torch = self._torch
        chunks = []
        for chunk in self.batches(list(images)):  # type: ignore[attr-defined]
            with self._lock:
                inputs = self._inputs(self.processor(images=list(chunk), return_tensors="pt"))  # type: ignore[attr-defined]
                with torch.inference_mode():
                    feats = _features(
                        self.engine.get_image_features(pixel_values=inputs["pixel_values"])
                    )
            chunks.append(feats.float().cpu().numpy())
        return _unit(np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(n, d) unit vectors, one per text (cut at the model's token limit)."""
        torch = self._torch
        siglip = self.model_type.startswith("siglip")
        chunks = []
        for chunk in self.batches(list(texts)):  # type: ignore[attr-defined]
            with self._lock:
                inputs = self.processor(
                    text=list(chunk),
                    return_tensors="pt",
                    padding="max_length" if siglip else True,
                    truncation=True,
                    max_length=self.max_text_tokens,
                )
                inputs = inputs.to(self.device)
                kw = {k: inputs[k] for k in ("input_ids", "attention_mask") if k in inputs}
                with torch.inference_mode():
                    feats = _features(self.engine.get_text_features(**kw))
            chunks.append(feats.float().cpu().numpy())
        return _unit(np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32))


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class EmbedderBackend(DualEncoder, ExpertBackend):
    """``embed_images`` / ``embed_texts`` -> unit vectors; ``similarity`` -> cosines."""

    type_name = "embedder"
    Settings = EmbedderSettings
    settings: EmbedderSettings

    def _load(self) -> None:
        self._load_dual(self.model, self._load_kwargs(), self.settings.max_text_tokens)
        self.capabilities = frozenset({"image_embedding", "text_embedding"})

    @property
    def dim(self) -> int:
        config = self.engine.config
        return int(getattr(config, "projection_dim", 0) or config.text_config.hidden_size)

    def similarity(self, images: Sequence[Any], texts: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each image with its own text (pairs, not all-vs-all)."""
        a, b = self.embed_images(images), self.embed_texts(texts)
        return np.sum(a * b, axis=1) if len(a) else np.zeros(0, np.float32)
