"""Object detectors (``type: detector``): open vocabulary (OWLv2, OWL-ViT, Grounding DINO)
prompted with label lists, or closed set (DETR family) with the model's own classes."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pydantic

from mmrecipe.backends.experts.base import ExpertBackend, ExpertSettings
from mmrecipe.experts.geometry import nms

#: models prompted with one "a. b. c." string instead of a list of queries
_SENTENCE_PROMPTED = ("grounding-dino", "mm-grounding-dino", "llmdet")


class DetectorSettings(ExpertSettings):
    #: default vocabulary for open-vocabulary models (ops may pass their own labels)
    labels: list[str] = pydantic.Field(default_factory=list)
    #: boxes scoring below this are dropped (OWLv2's demo uses 0.1, Grounding DINO's 0.35)
    threshold: float = pydantic.Field(default=0.1, ge=0.0, le=1.0)
    #: per-label non-maximum suppression of overlapping boxes (1.0: off)
    nms_iou: float = pydantic.Field(default=0.5, ge=0.0, le=1.0)
    #: at most this many boxes per image, best first
    max_detections: int = pydantic.Field(default=100, ge=1)
    #: Grounding DINO's per-token text threshold
    text_threshold: float = pydantic.Field(default=0.25, ge=0.0, le=1.0)


class DetectorBackend(ExpertBackend):
    """``detect(images, labels)`` -> per image, ``[{"label", "score", "box"}]`` (pixels, xyxy)."""

    type_name = "detector"
    Settings = DetectorSettings
    settings: DetectorSettings

    def _load(self) -> None:
        tf = self._transformers
        from transformers.models.auto.modeling_auto import (
            MODEL_FOR_ZERO_SHOT_OBJECT_DETECTION_MAPPING_NAMES,
        )

        kw = self._load_kwargs()
        config = tf.AutoConfig.from_pretrained(self.model, **kw)
        self.model_type = config.model_type
        self.open_vocabulary = (
            config.model_type in MODEL_FOR_ZERO_SHOT_OBJECT_DETECTION_MAPPING_NAMES
        )
        if self.open_vocabulary:
            self.processor = tf.AutoProcessor.from_pretrained(self.model, **kw)
            model_cls = tf.AutoModelForZeroShotObjectDetection
        else:
            self.processor = tf.AutoImageProcessor.from_pretrained(self.model, **kw)
            model_cls = tf.AutoModelForObjectDetection
        self.engine = self._place(model_cls.from_pretrained(self.model, **kw))
        self.id2label = {int(k): str(v) for k, v in (config.id2label or {}).items()}
        caps = {"detection"}
        if self.open_vocabulary:
            caps.add("open_vocabulary")
        self.capabilities = frozenset(caps)
        post = getattr(self.processor, "post_process_grounded_object_detection", None)
        self._post_params = set(inspect.signature(post).parameters) if post else set()

    def detect(
        self,
        images: Sequence[Any],
        labels: Sequence[Sequence[str]] | None = None,
        threshold: float | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Detect objects in each PIL image. ``labels[i]`` is image i's vocabulary (open
        vocabulary: required, else the settings' ``labels``; closed set: a filter on the
        model's classes, empty keeps all)."""
        thr = self.settings.threshold if threshold is None else threshold
        per_image = [
            list(labels[i]) if labels else list(self.settings.labels) for i in range(len(images))
        ]
        results: list[list[dict[str, Any]] | None] = [None] * len(images)
        if self.open_vocabulary:
            # one forward per group of images sharing a vocabulary (queries are per batch)
            groups: dict[tuple[str, ...], list[int]] = {}
            for i, vocab in enumerate(per_image):
                if not vocab:
                    results[i] = []
                    continue
                groups.setdefault(tuple(dict.fromkeys(vocab)), []).append(i)
            for vocab, indices in groups.items():
                for chunk in self.batches(indices):
                    outs = self._detect_open([images[i] for i in chunk], list(vocab), thr)
                    for i, out in zip(chunk, outs, strict=True):
                        results[i] = out
        else:
            indices = list(range(len(images)))
            for chunk in self.batches(indices):
                outs = self._detect_closed([images[i] for i in chunk], thr)
                for i, out in zip(chunk, outs, strict=True):
                    wanted = {v.lower() for v in per_image[i]}
                    results[i] = [d for d in out if not wanted or d["label"].lower() in wanted]
        return [r if r is not None else [] for r in results]

    def _detect_open(
        self, images: list[Any], vocab: list[str], thr: float
    ) -> list[list[dict[str, Any]]]:
        """One forward per part of the vocabulary that fits the text encoder (Grounding DINO
        reads one "a. b. c." prompt of at most ``max_text_len`` tokens); boxes merged."""
        merged: list[list[tuple[str, float, list[float]]]] = [[] for _ in images]
        for part in self._vocab_parts(vocab):
            for i, dets in enumerate(self._detect_part(images, part, thr)):
                merged[i].extend(dets)
        out = []
        for image, dets in zip(images, merged, strict=True):
            boxes = np.array([d[2] for d in dets], dtype=np.float64).reshape(-1, 4)
            scores = np.array([d[1] for d in dets], dtype=np.float64)
            out.append(
                self._finish([d[0] for d in dets], scores, boxes, image.width, image.height, thr)
            )
        return out

    def _vocab_parts(self, vocab: list[str]) -> list[list[str]]:
        if self.model_type not in _SENTENCE_PROMPTED:
            return [vocab]
        limit = int(getattr(self.engine.config, "max_text_len", 256)) - 2  # [CLS] ... [SEP]
        tokenizer = self.processor.tokenizer
        parts: list[list[str]] = [[]]
        used = 0
        for label in vocab:
            cost = len(tokenizer.tokenize(label + ".")) + 1
            if parts[-1] and used + cost > limit:
                parts.append([])
                used = 0
            parts[-1].append(label)
            used += cost
        return parts

    def _detect_part(
        self, images: list[Any], vocab: list[str], thr: float
    ) -> list[list[tuple[str, float, list[float]]]]:
        torch = self._torch
        sizes = [(im.height, im.width) for im in images]
        if self.model_type in _SENTENCE_PROMPTED:
            text: Any = [". ".join(vocab) + "." for _ in images]
            limit = int(getattr(self.engine.config, "max_text_len", 256))
        else:
            text = [vocab for _ in images]
            limit = None
        with self._lock:
            inputs = self.processor(
                text=text,
                images=list(images),
                return_tensors="pt",
                padding=True,
                truncation=True,  # a label longer than the text encoder takes is cut
                **({"max_length": limit} if limit else {}),
            )
            inputs = self._inputs(inputs)
            with torch.inference_mode():
                outputs = self.engine(**inputs)
            kwargs: dict[str, Any] = {"target_sizes": sizes}
            if "threshold" in self._post_params:
                kwargs["threshold"] = thr
            if "box_threshold" in self._post_params:
                kwargs["box_threshold"] = thr
            if "text_threshold" in self._post_params:
                kwargs["text_threshold"] = self.settings.text_threshold
            if "input_ids" in self._post_params:
                kwargs["input_ids"] = inputs["input_ids"]
            if "text_labels" in self._post_params:
                kwargs["text_labels"] = [vocab for _ in images]
            processed = self.processor.post_process_grounded_object_detection(outputs, **kwargs)
        out = []
        for res in processed:
            names = res.get("text_labels") or res.get("labels")
            dets = []
            for name, score, box in zip(
                names, res["scores"].tolist(), res["boxes"].tolist(), strict=False
            ):
                if isinstance(name, str):
                    label = match_vocabulary(name, vocab)
                else:
                    label = vocab[int(name)] if 0 <= int(name) < len(vocab) else None
                if label is None:  # a phrase naming nothing asked for (word pieces, [SEP])
                    continue
                dets.append((label, float(score), box))
            out.append(dets)
        return out

    def _detect_closed(self, images: list[Any], thr: float) -> list[list[dict[str, Any]]]:
        torch = self._torch
        sizes = [(im.height, im.width) for im in images]
        with self._lock:
            inputs = self._inputs(self.processor(images=list(images), return_tensors="pt"))
            with torch.inference_mode():
                outputs = self.engine(**inputs)
            processed = self.processor.post_process_object_detection(
                outputs, threshold=thr, target_sizes=sizes
            )
        out = []
        for res, (h, w) in zip(processed, sizes, strict=True):
            labels = [self.id2label.get(k, str(k)) for k in res["labels"].tolist()]
            boxes = res["boxes"].float().cpu().numpy()
            out.append(self._finish(labels, res["scores"].float().cpu().numpy(), boxes, w, h, thr))
        return out

    def _finish(
        self,
        labels: list[str],
        scores: np.ndarray,
        boxes: np.ndarray,
        width: int,
        height: int,
        thr: float,
    ) -> list[dict[str, Any]]:
        """Clip to the image, threshold, per-label NMS, best first, capped; vectorized, with
        dicts made only for what is kept (scores to 4 places, boxes to 0.1 px)."""
        if not labels:
            return []
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        limit = np.array([width, height, width, height], dtype=np.float64)
        boxes = np.round(np.clip(boxes, 0.0, limit), 1)
        scores = np.asarray(scores, dtype=np.float64)
        valid = (scores >= thr) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        idx = np.flatnonzero(valid)
        if self.settings.nms_iou < 1.0 and len(idx) > 1:
            # one NMS for all labels: each label's boxes are shifted to their own far-away
            # region, so boxes of different labels never overlap (batched NMS)
            ids = {label: k for k, label in enumerate(dict.fromkeys(labels[i] for i in idx))}
            shift = np.array([ids[labels[i]] for i in idx], dtype=np.float64)
            shift *= float(limit.max()) + 1.0
            keep = nms(boxes[idx] + shift[:, None], scores[idx], self.settings.nms_iou)
            idx = idx[keep]
        idx = idx[np.argsort(-scores[idx], kind="stable")][: self.settings.max_detections]
        return [
            {"label": labels[i], "score": round(float(scores[i]), 4), "box": boxes[i].tolist()}
            for i in idx
        ]


def match_vocabulary(phrase: str, vocab: list[str]) -> str | None:
    """The vocabulary entry a detector's phrase names: Grounding DINO returns the prompt
    tokens it matched ("a cat", "cat dog"), not the entry. Exact match first, then the
    longest entry inside the phrase; None when it names none of them."""
    text = " ".join(phrase.lower().replace(".", " ").split())
    for entry in vocab:
        if entry.lower() == text:
            return entry
    padded = f" {text} "
    inside = [e for e in vocab if f" {e.lower()} " in padded]
    return max(inside, key=len) if inside else None
