"""Promptable segmentation (``type: segmenter``): SAM called directly (the transformers
``mask-generation`` pipeline needs torchvision for its NMS; ours is numpy). Prompts are boxes
(from a detector) or, with none, a regular grid of points ("segment everything", SAM's
automatic mask generator on one crop)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pydantic

from mmrecipe.backends.experts.base import ExpertBackend, ExpertSettings
from mmrecipe.experts.geometry import mask_box, nms, rle_encode


class SegmenterSettings(ExpertSettings):
    #: grid of point prompts per side when no boxes are given (SAM's generator: 32)
    points_per_side: int = pydantic.Field(default=16, ge=1, le=64)
    #: point-prompted masks whose predicted IoU is below this are dropped (SAM: 0.88)
    pred_iou_threshold: float = pydantic.Field(default=0.88, ge=0.0, le=1.0)
    #: overlapping point-prompted masks are suppressed above this box IoU (SAM: 0.7)
    nms_iou: float = pydantic.Field(default=0.7, ge=0.0, le=1.0)
    #: point prompts per forward pass
    points_per_batch: int = pydantic.Field(default=64, ge=1)
    #: the mask logit threshold (SAM: 0.0)
    mask_threshold: float = 0.0


class SegmenterBackend(ExpertBackend):
    """``segment(images, boxes)`` -> per image, ``[{"box", "score", "area", "mask"}]``
    (``mask``: COCO uncompressed RLE; ``box``: the mask's tight box; ``prompt_box`` when
    prompted by a box)."""

    type_name = "segmenter"
    Settings = SegmenterSettings
    settings: SegmenterSettings

    def _load(self) -> None:
        tf = self._transformers
        kw = self._load_kwargs()
        self.processor = tf.AutoProcessor.from_pretrained(self.model, **kw)
        self.engine = self._place(tf.SamModel.from_pretrained(self.model, **kw))
        self.capabilities = frozenset({"segmentation"})

    def segment(
        self, images: Sequence[Any], boxes: Sequence[Sequence[Sequence[float]]] | None = None
    ) -> list[list[dict[str, Any]]]:
        out: list[list[dict[str, Any]]] = []
        for i, image in enumerate(images):
            prompts = [list(b) for b in boxes[i]] if boxes is not None else []
            if boxes is not None and not prompts:
                out.append([])
                continue
            out.append(self._by_boxes(image, prompts) if prompts else self._by_points(image))
        return out

    def _embed(self, image: Any, **prompt: Any) -> tuple[Any, Any]:
        torch = self._torch
        inputs = self._inputs(self.processor(images=image, return_tensors="pt", **prompt))
        with torch.inference_mode():
            emb = self.engine.get_image_embeddings(inputs["pixel_values"])
        return inputs, emb

    def _masks(
        self, inputs: Any, emb: Any, multimask: bool, **prompt: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """(prompts, masks, H, W) booleans at the original size and (prompts, masks) scores."""
        torch = self._torch
        with torch.inference_mode():
            out = self.engine(image_embeddings=emb, multimask_output=multimask, **prompt)
        masks = self.processor.image_processor.post_process_masks(
            out.pred_masks.float().cpu(),
            inputs["original_sizes"].cpu(),
            inputs["reshaped_input_sizes"].cpu(),
            mask_threshold=self.settings.mask_threshold,
        )[0]
        return masks.numpy().astype(bool), out.iou_scores[0].float().cpu().numpy()

    def _by_boxes(self, image: Any, prompts: list[list[float]]) -> list[dict[str, Any]]:
        with self._lock:
            inputs, emb = self._embed(image, input_boxes=[prompts])
            masks, scores = self._masks(inputs, emb, False, input_boxes=inputs["input_boxes"])
        regions = []
        for j, prompt in enumerate(prompts):
            region = _region(masks[j, 0], float(scores[j, 0]))
            if region is not None:
                region["prompt_box"] = [round(float(v), 1) for v in prompt]
                regions.append(region)
        return regions

    def _by_points(self, image: Any) -> list[dict[str, Any]]:
        n = self.settings.points_per_side
        w, h = image.width, image.height
        grid = [[(x + 0.5) * w / n, (y + 0.5) * h / n] for y in range(n) for x in range(n)]
        candidates: list[tuple[np.ndarray, float]] = []
        with self._lock:
            inputs, emb = self._embed(image)
            size = self.settings.points_per_batch
            for start in range(0, len(grid), size):
                points = grid[start : start + size]
                # the processor's coordinate scaling (original -> resized input), done once
                rh, rw = (float(v) for v in inputs["reshaped_input_sizes"][0])
                scaled = [[[[x * rw / w, y * rh / h]] for x, y in points]]
                tensor = self._torch.tensor(scaled, dtype=self.torch_dtype, device=self.device)
                masks, scores = self._masks(inputs, emb, True, input_points=tensor)
                best = scores.argmax(axis=1)
                for j, k in enumerate(best):
                    if scores[j, k] >= self.settings.pred_iou_threshold:
                        candidates.append((masks[j, k], float(scores[j, k])))
        regions = [r for m, s in candidates if (r := _region(m, s)) is not None]
        if not regions:
            return []
        keep = nms(
            np.array([r["box"] for r in regions]),
            np.array([r["score"] for r in regions]),
            self.settings.nms_iou,
        )
        return [regions[i] for i in keep]


def _region(mask: np.ndarray, score: float) -> dict[str, Any] | None:
    box = mask_box(mask)
    if box is None:
        return None
    return {"box": box, "score": round(score, 4), "area": int(mask.sum()), "mask": rle_encode(mask)}
