"""Image tagging (``type: tagger``): a multi-label image classifier (sigmoid over its own
classes), or zero-shot over a tag vocabulary with a CLIP/SigLIP model (``tags`` or
``tags_file``; a prompt template per tag, as CLIP's zero-shot classification does)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pydantic

from mmrecipe.backends.experts.base import ExpertBackend, ExpertSettings
from mmrecipe.backends.experts.embedder import DualEncoder
from mmrecipe.errors import ConfigError

OPEN_VOCABULARY = Path(__file__).resolve().parents[2] / "data" / "open_vocabulary.txt"


def open_vocabulary() -> list[str]:
    """mmrecipe's open vocabulary: everyday objects, animals, plants, food, materials and
    colours derived from WordNet 3.0 (``scripts/build_open_vocabulary.py``; its header holds
    the WordNet license notice), most frequent first."""
    lines = OPEN_VOCABULARY.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class TaggerSettings(ExpertSettings):
    #: zero-shot vocabulary (CLIP/SigLIP models); a classifier uses its own labels
    tags: list[str] = pydantic.Field(default_factory=list)
    #: a text file with one tag per line (added to ``tags``)
    tags_file: str | None = None
    #: zero-shot models given no tags: "open" uses mmrecipe's open vocabulary (2,978 everyday
    #: tags from WordNet 3.0, ``mmrecipe/data/open_vocabulary.txt``); "none" refuses to start
    vocabulary: str = pydantic.Field(default="open", pattern="^(open|none)$")
    #: how a tag becomes a text query for zero-shot models
    prompt_template: str = "a photo of a {}."
    #: tags scoring below this are dropped
    threshold: float = pydantic.Field(default=0.0, ge=0.0, le=1.0)
    #: at most this many tags per image, best first
    top_k: int = pydantic.Field(default=10, ge=1)
    #: "auto": sigmoid for multi-label classifiers and SigLIP, softmax for CLIP and
    #: single-label classifiers
    activation: str = pydantic.Field(default="auto", pattern="^(auto|sigmoid|softmax)$")


class TaggerBackend(DualEncoder, ExpertBackend):
    """``tag(images)`` -> per image, ``[{"tag", "score"}]`` best first."""

    type_name = "tagger"
    Settings = TaggerSettings
    settings: TaggerSettings

    def _load(self) -> None:
        tf = self._transformers
        kw = self._load_kwargs()
        config = tf.AutoConfig.from_pretrained(self.model, **kw)
        self.zero_shot = getattr(config, "text_config", None) is not None
        tags = list(self.settings.tags)
        if self.settings.tags_file:
            path = Path(self.settings.tags_file)
            if not path.is_file():
                raise ConfigError(f"backend {self.name!r}: tags_file {path} does not exist")
            tags += [t.strip() for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]
        self.tags = list(dict.fromkeys(tags))
        if self.zero_shot:
            if not self.tags and self.settings.vocabulary == "open":
                self.tags = open_vocabulary()
            if not self.tags:
                raise ConfigError(
                    f"backend {self.name!r}: a zero-shot tagger ({config.model_type}) needs tags: "
                    "or tags_file:"
                )
            self._load_dual(self.model, kw, None)
            self._tag_vectors: np.ndarray | None = None
            act = self.settings.activation
            self.sigmoid = act == "sigmoid" or (
                act == "auto" and self.model_type.startswith("siglip")
            )
        else:
            if (
                self.settings.prompt_template
                != TaggerSettings.model_fields["prompt_template"].default
            ):
                raise ConfigError(
                    f"backend {self.name!r}: prompt_template is for zero-shot models (CLIP, "
                    f"SigLIP); {config.model_type} is a classifier"
                )
            self.processor = tf.AutoImageProcessor.from_pretrained(self.model, **kw)
            self.engine = self._place(
                tf.AutoModelForImageClassification.from_pretrained(self.model, **kw)
            )
            own = [str(config.id2label[i]) for i in range(len(config.id2label))]
            # a classifier names its own classes; tags / tags_file restrict them
            wanted = {t.lower() for t in self.tags}
            unknown = sorted(wanted - {o.lower() for o in own})
            if unknown:
                raise ConfigError(
                    f"backend {self.name!r}: the classifier {config.model_type} has no class "
                    f"{', '.join(unknown[:5])} (tags restrict a classifier's own classes)"
                )
            self.keep_mask = np.array([not wanted or o.lower() in wanted for o in own])
            self.tags = own
            act = self.settings.activation
            self.sigmoid = act == "sigmoid" or (
                act == "auto"
                and getattr(config, "problem_type", None) == "multi_label_classification"
            )
        self.capabilities = frozenset({"tagging"})

    def tag(
        self, images: Sequence[Any], top_k: int | None = None, threshold: float | None = None
    ) -> list[list[dict[str, Any]]]:
        k = top_k or self.settings.top_k
        thr = self.settings.threshold if threshold is None else threshold
        if self.zero_shot:
            probs = self._zero_shot_probs(images)
        else:
            probs = self._classifier_probs(images)
            if len(probs):
                probs[:, ~self.keep_mask] = -1.0  # classes outside tags: never reported
        out = []
        for row in probs:
            order = np.argsort(-row, kind="stable")[:k]
            out.append(
                [
                    {"tag": self.tags[j], "score": round(float(row[j]), 4)}
                    for j in order
                    if row[j] >= thr
                ]
            )
        return out

    def _zero_shot_probs(self, images: Sequence[Any]) -> np.ndarray:
        if self._tag_vectors is None:
            queries = [self.settings.prompt_template.format(t) for t in self.tags]
            self._tag_vectors = self.embed_texts(queries)
        logits = self.logit_scale * (self.embed_images(images) @ self._tag_vectors.T)
        if self.sigmoid:
            return 1.0 / (1.0 + np.exp(-(logits + (self.logit_bias or 0.0))))
        return _softmax(logits)

    def _classifier_probs(self, images: Sequence[Any]) -> np.ndarray:
        torch = self._torch
        rows = []
        for chunk in self.batches(list(images)):
            with self._lock:
                inputs = self._inputs(self.processor(images=list(chunk), return_tensors="pt"))
                with torch.inference_mode():
                    logits = self.engine(**inputs).logits.float().cpu().numpy()
            rows.append(1.0 / (1.0 + np.exp(-logits)) if self.sigmoid else _softmax(logits))
        return np.concatenate(rows) if rows else np.zeros((0, len(self.tags)))


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)
