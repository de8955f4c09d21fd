"""Map op: multilingual scene text placed on each input photo (the user's own backgrounds)."""

from __future__ import annotations

import hashlib
import random
from typing import Any, Literal

from PIL import Image

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.stats import record_usage
from mmrecipe.synth.multilingual.scene_text_gen import SceneTextGenerator
from mmrecipe.synth.source import save_png
from mmrecipe.synth.source_op import SYNTH_WRITES

#: photos over this many pixels are refused before decoding (a bomb is no background)
MAX_PIXELS = 60_000_000


@register_op("scene_text_on_images")
class SceneTextOnImages(MapOp):
    """Put sign text (languages by ratio, from per-language grammars, Noto fonts, shaped) on
    each sample's photo, only where the photo is flat, face-free and the text readable, in the
    perspective of the region's surroundings; the photo is replaced by the rendered one and a
    question with its answer (re-derivable from ``fields.ground_truth``) becomes the turn.

    Rejected placement proposals are counted by reason in the step's stats (``usage`` of
    ``placement_rejects``: out_of_frame, face, overlap, textured, low_contrast) and kept per
    sample in ``ground_truth.placement_rejects``; a photo where no line found a place is one
    reject ``no_flat_region`` with those counts.

    Args:
        seed: a sample's text depends only on (seed, sample id, difficulty, options)
        difficulty: 1 (one large line) to 3 (two or three small lines, blur, noise)
        languages: language -> ratio (or a list: equal ratios); en fr ru ar hi zh ja
        tasks: subset of ocr, text_at_box, grounded_ocr, language
        max_detail: mean gradient magnitude a region may have for painted text (plates: 1.5x)
        max_edge_density: share of edge pixels a region may have (plates: 1.5x)
        min_contrast: WCAG contrast ratio of painted text against its region
        plate_ratio: share of texts on a sign plate
        max_side: the photo is scaled down to this longest side first
        font_dirs: folders searched for fonts (default: MMRECIPE_FONT_DIRS, else the system's)
        image: which of the sample's images is the background
        avoid_field: a field of detections (``detect_objects``' ``objects``: a list of
            ``{"label", "box"}`` in the photo's pixels) whose boxes text must keep clear of
        avoid_labels: only these labels of it (default: every box)
    """

    reads = ("images",)
    writes = (*SYNTH_WRITES, "fields.words")

    def __init__(
        self,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        languages: dict[str, float] | list[str] | None = None,
        tasks: list[str] | None = None,
        max_detail: float = 8.0,
        max_edge_density: float = 0.04,
        min_contrast: float = 4.5,
        plate_ratio: float = 0.5,
        max_side: int = 768,
        font_dirs: list[str] | None = None,
        image: int = 0,
        avoid_field: str | None = None,
        avoid_labels: list[str] | None = None,
    ) -> None:
        if difficulty not in (1, 2, 3):
            raise ConfigError(f"difficulty must be 1, 2 or 3, got {difficulty}")
        if image < 0:
            raise ConfigError("image must be >= 0")
        self.seed = seed
        self.difficulty = difficulty
        self.image = image
        self.avoid_field = avoid_field
        self.avoid_labels = set(avoid_labels) if avoid_labels else None
        if avoid_labels and not avoid_field:
            raise ConfigError("avoid_labels needs avoid_field (where the detections are)")
        if avoid_field:
            self.reads = ("images", f"fields.{avoid_field}")
        self.generator = SceneTextGenerator(
            languages=languages,
            tasks=tasks,
            max_detail=max_detail,
            max_edge_density=max_edge_density,
            min_contrast=min_contrast,
            plate_ratio=plate_ratio,
            font_dirs=font_dirs,
            max_side=max_side,
        )

    def fingerprint_extra(self) -> dict[str, Any]:
        return {"options": self.generator.options_key()}

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None, "setup() must run before process_batch()"
        for sample in samples:
            if not sample.rejected:
                self._one(sample)
        return samples

    def _one(self, sample: Sample) -> None:
        if len(sample.images) <= self.image:
            sample.reject(self.name, "no_image", f"the sample has no image #{self.image}")
            return
        ref = sample.images[self.image]
        try:
            photo = _open(ref.path)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            sample.reject(self.name, "unreadable_image", f"{ref.path}: {exc}")
            return
        key = f"{self.seed}:{sample.id}:{self.difficulty}:{self.generator.options_key()}"
        rng = random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
        item, rejects = self.generator.make_on(photo, rng, self.difficulty, self._avoid(sample))
        if rejects:
            record_usage("placement_rejects", **rejects)
        if item is None:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(rejects.items()))
            sample.reject(self.name, "no_flat_region", f"no text found a place ({counts})")
            return
        record_usage("placement_rejects", placed=len(item.ground_truth["regions"]))
        assert self.ctx is not None
        out = save_png(
            item.images[0], self.ctx.image_dir / "synth" / "scene_text" / f"{sample.id}.png"
        )
        item.ground_truth["background"] = {"sha256": ref.sha256, "width": photo.width}
        sample.images = [out]
        sample.messages = [
            {"role": "user", "content": f"<image>\n{item.question}"},
            {"role": "assistant", "content": item.answer},
        ]
        sample.fields.update(
            generator="scene_text",
            task=item.task,
            answer=item.answer,
            ground_truth=item.ground_truth,
            difficulty=self.difficulty,
            seed=self.seed,
            domain="synthetic/scene_text",
            **item.extra,
        )

    def _avoid(self, sample: Sample) -> list[tuple[float, float, float, float]]:
        if not self.avoid_field:
            return []
        boxes = []
        for det in sample.fields.get(self.avoid_field) or []:
            if not isinstance(det, dict) or len(det.get("box") or []) != 4:
                continue
            if self.avoid_labels is None or det.get("label") in self.avoid_labels:
                x0, y0, x1, y1 = (float(v) for v in det["box"])
                boxes.append((x0, y0, x1, y1))
        return boxes


def _open(path: str) -> Image.Image:
    with Image.open(path) as im:
        if im.width * im.height > MAX_PIXELS:
            raise ValueError(f"{im.width}x{im.height} is over {MAX_PIXELS} pixels")
        im.load()
        return im.convert("RGB")
