"""Map op: ThinkMorph's visual search over real photos, targets from COCO boxes or detections."""

from __future__ import annotations

import hashlib
import random
from typing import Literal

from PIL import Image, ImageDraw

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.synth.source import save_png
from mmrecipe.synth.source_op import SYNTH_WRITES

#: ThinkMorph (seed 001): "target object must occupy 1-30% of image area for Visual Search"
MIN_AREA, MAX_AREA = 0.01, 0.30
MAX_PIXELS = 60_000_000
Box = tuple[float, float, float, float]


def target_candidates(
    objects: list[tuple[str, Box]], width: int, height: int, low: float, high: float
) -> list[tuple[str, Box]]:
    """Objects whose category occurs once in the image (one right answer) and whose box covers
    ``low``..``high`` of the image area."""
    counts: dict[str, int] = {}
    for label, _ in objects:
        counts[label] = counts.get(label, 0) + 1
    out = []
    for label, box in objects:
        share = (box[2] - box[0]) * (box[3] - box[1]) / (width * height)
        if counts[label] == 1 and low <= share <= high:
            out.append((label, box))
    return out


@register_op("visual_search_traces")
class VisualSearchTraces(MapOp):
    """Turn each photo with instance boxes into a ThinkMorph visual-search trace: the question
    names one object, the assistant produces a zoomed crop around it with its box drawn in red,
    then answers with the box in the photo's pixels (the annotation's own box, rounded).

    The target is drawn (seeded per sample) among the objects whose category occurs once in the
    image and whose box covers ``min_area``..``max_area`` of it (ThinkMorph's 1-30 % rule);
    crowd regions are skipped. A sample with none is rejected ``no_target_in_range``; a photo
    whose size differs from the annotation's is rejected ``size_mismatch``.

    Args:
        source: coco (``fields.boxes``: ``{bbox: [x, y, w, h], category}``) or detections
            (``detect_objects``' field: ``{label, box: [x0, y0, x1, y1]}``)
        boxes_field: the field holding them (default: boxes for coco, objects for detections)
        min_area: smallest share of the image area a target may cover
        max_area: largest share
        zoom_margin: the crop extends this many box sizes beyond the box on each side
        seed: which candidate is asked depends only on (seed, sample id)
    """

    writes = SYNTH_WRITES

    def __init__(
        self,
        source: Literal["coco", "detections"] = "coco",
        boxes_field: str | None = None,
        min_area: float = MIN_AREA,
        max_area: float = MAX_AREA,
        zoom_margin: float = 0.5,
        seed: int = 0,
    ) -> None:
        if source not in ("coco", "detections"):
            raise ConfigError("visual_search_traces: source is coco or detections")
        if not 0 <= min_area < max_area <= 1:
            raise ConfigError("visual_search_traces: need 0 <= min_area < max_area <= 1")
        if zoom_margin < 0:
            raise ConfigError("visual_search_traces: zoom_margin must be >= 0")
        self.source = source
        self.boxes_field = boxes_field or ("boxes" if source == "coco" else "objects")
        self.min_area, self.max_area = min_area, max_area
        self.zoom_margin = zoom_margin
        self.seed = seed
        self.reads = ("images", f"fields.{self.boxes_field}")

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if not sample.rejected:
                self._one(sample)
        return samples

    def _objects(self, sample: Sample) -> list[tuple[str, Box]]:
        out = []
        for item in sample.fields.get(self.boxes_field) or []:
            if not isinstance(item, dict) or item.get("iscrowd"):
                continue
            label = str(item.get("category" if self.source == "coco" else "label") or "").strip()
            raw = item.get("bbox" if self.source == "coco" else "box")
            if not label or not isinstance(raw, list) or len(raw) != 4:
                continue
            try:
                a, b, c, d = (float(v) for v in raw)
            except (TypeError, ValueError):
                continue
            box = (a, b, a + c, b + d) if self.source == "coco" else (a, b, c, d)
            if box[2] > box[0] and box[3] > box[1]:
                out.append((label, box))
        return out

    def _one(self, sample: Sample) -> None:
        if not sample.images:
            sample.reject(self.name, "no_image", "the sample has no image")
            return
        ref = sample.images[0]
        try:
            photo = open_photo(ref.path)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            sample.reject(self.name, "unreadable_image", f"{ref.path}: {exc}")
            return
        if ref.width and ref.height and (ref.width, ref.height) != photo.size:
            detail = f"annotated {ref.width}x{ref.height}, file {photo.width}x{photo.height}"
            sample.reject(self.name, "size_mismatch", detail)
            return
        objects = self._objects(sample)
        width, height = photo.size
        candidates = target_candidates(objects, width, height, self.min_area, self.max_area)
        if not candidates:
            detail = f"{len(objects)} objects, none unique and covering "
            sample.reject(self.name, "no_target_in_range", detail + self._range())
            return
        key = f"{self.seed}:{sample.id}"
        rng = random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
        label, box = rng.choice(candidates)
        answer_box = [round(v) for v in box]
        zoomed = self._zoom(photo, box)
        assert self.ctx is not None, "setup() must run before process_batch()"
        out = save_png(zoomed, self.ctx.image_dir / "synth" / "visual_search" / f"{sample.id}.png")
        answer = "[" + ", ".join(map(str, answer_box)) + "]"
        question = (
            f"Find the {label} in this {width}x{height} image. Give its bounding box as "
            "[x1, y1, x2, y2] in pixels (origin at the top left)."
        )
        reply = (
            f"I scan the image for the {label} and zoom into the region where it is, marking it "
            f"with a red box:\n<image>\nThe boxed object is the {label}. Its bounding box in the "
            f"full image is:\n{answer}"
        )
        sample.images = [ref, out]
        sample.messages = [
            {"role": "user", "content": f"<image>\n{question}"},
            {"role": "assistant", "content": reply},
        ]
        sample.fields.update(
            generator="visual_search",
            task="interleaved/visual_search",
            seed=self.seed,
            answer=answer,
            domain="interleaved/visual_search",
            ground_truth={
                "target": {"category": label, "box": [float(v) for v in box]},
                "others": sorted({lb for lb, b in objects if b != box}),
                "size": [width, height],
                "area_range": [self.min_area, self.max_area],
            },
        )

    def _range(self) -> str:
        return f"{self.min_area:.0%}-{self.max_area:.0%} of the image"

    def _zoom(self, photo: Image.Image, box: Box) -> Image.Image:
        """The region around the box (``zoom_margin`` box sizes each side), box drawn in red."""
        bw, bh = box[2] - box[0], box[3] - box[1]
        mx, my = bw * self.zoom_margin, bh * self.zoom_margin
        left, top = max(0, int(box[0] - mx)), max(0, int(box[1] - my))
        right = min(photo.width, int(box[2] + mx + 0.999))
        bottom = min(photo.height, int(box[3] + my + 0.999))
        crop = photo.crop((left, top, right, bottom))
        scale = 448 / max(crop.size)
        if scale > 1:  # zoom in: small regions are enlarged for the produced view
            size = (round(crop.width * scale), round(crop.height * scale))
            crop = crop.resize(size, Image.Resampling.LANCZOS)
        else:
            scale = 1.0
        draw = ImageDraw.Draw(crop)
        rect = [(box[0] - left) * scale, (box[1] - top) * scale]
        rect += [(box[2] - left) * scale, (box[3] - top) * scale]
        draw.rectangle(rect, outline=(255, 0, 0), width=max(2, round(2 * scale)))
        return crop


def open_photo(path: str) -> Image.Image:
    with Image.open(path) as im:
        if im.width * im.height > MAX_PIXELS:
            raise ValueError(f"{im.width}x{im.height} is over {MAX_PIXELS} pixels")
        im.load()
        return im.convert("RGB")
