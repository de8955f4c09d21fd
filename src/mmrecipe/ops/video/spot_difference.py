"""Programmatic spot-the-difference (OneVision-style multi-image data): the answer is known by
construction and the boxes are exact."""

from __future__ import annotations

import hashlib
import os
import random
from typing import Any

import numpy as np
from PIL import Image

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef, Sample

CHANGES = ("recolour", "remove", "paste")
WORDS = {
    "recolour": "its colours were changed",
    "remove": "something there was removed",
    "paste": "a patch from elsewhere in the picture was pasted there",
}
QUESTION = (
    "<image>\n<image>\nThe second image is a copy of the first with some regions changed. "
    "Find every difference. Give each as [x1, y1, x2, y2] in pixels of the second image and "
    "say what changed."
)


def _edit(
    pixels: np.ndarray, box: tuple[int, int, int, int], kind: str, rng: random.Random
) -> None:
    import cv2

    x, y, w, h = box
    region = pixels[y : y + h, x : x + w]
    if kind == "recolour":
        hsv = cv2.cvtColor(region, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = (hsv[..., 0].astype(int) + rng.randint(45, 135)) % 180
        hsv[..., 1] = np.maximum(hsv[..., 1], 120)  # grey regions get colour too
        region[:] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    elif kind == "remove":
        mask = np.zeros(pixels.shape[:2], np.uint8)
        mask[y : y + h, x : x + w] = 255
        pixels[:] = cv2.inpaint(pixels, mask, 5, cv2.INPAINT_TELEA)
    else:
        H, W = pixels.shape[:2]
        sx, sy = rng.randrange(0, W - w + 1), rng.randrange(0, H - h + 1)
        region[:] = pixels[sy : sy + h, sx : sx + w].copy()


@register_op("spot_difference")
class SpotDifference(MapOp):
    """Make a changed copy of each image (1 to ``max_changes`` regions recoloured, removed by
    inpainting, or overwritten by a patch from elsewhere) and ask for the differences. Each
    region's box is the exact bounding box of the pixels that changed (measured on the saved
    PNG against the source), so the answer is known; a change that alters fewer than
    ``min_changed`` of its region's pixels, or changes outside its box, is not kept.

    Writes ``images`` (source, changed copy under ``RUN_DIR/images/spot/``), the conversation,
    ``fields.differences`` (``[{"bbox": [x, y, w, h], "change"}]``).

    Rejects: ``no_image``, ``no_difference`` (no change took: a flat image), ``image_too_small``.

    Args:
        max_changes: most changed regions per image
        min_box: smallest region side, as a share of the shorter image side
        max_box: largest region side, as a share of the shorter image side
        min_changed: share of a region's pixels that must visibly change (> 24 levels)
        seed: picks the regions and changes (with the sample id)
    """

    reads = ("images",)
    writes = ("images", "messages", "fields.differences")

    def __init__(
        self,
        max_changes: int = 3,
        min_box: float = 0.12,
        max_box: float = 0.3,
        min_changed: float = 0.2,
        seed: int = 0,
    ) -> None:
        if max_changes < 1 or not 0 < min_box <= max_box < 1:
            raise ConfigError("spot_difference: max_changes >= 1, 0 < min_box <= max_box < 1")
        self.max_changes, self.min_box, self.max_box = max_changes, min_box, max_box
        self.min_changed, self.seed = min_changed, seed

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None
        out_dir = self.ctx.image_dir / "spot"
        out_dir.mkdir(parents=True, exist_ok=True)
        for sample in samples:
            if sample.rejected:
                continue
            if not sample.images:
                sample.reject(self.name, "no_image", "sample has no image")
                continue
            with Image.open(sample.images[0].path) as im:
                source = np.asarray(im.convert("RGB")).copy()
            if min(source.shape[:2]) < 48:
                sample.reject(self.name, "image_too_small", f"{source.shape[1]}x{source.shape[0]}")
                continue
            key = f"{self.seed}\x1f{sample.id}".encode()
            rng = random.Random(hashlib.sha256(key).digest())
            edited, diffs = self._changes(source, rng)
            if not diffs:
                sample.reject(self.name, "no_difference", "no change was visible (a flat image?)")
                continue
            digest = hashlib.sha256(edited.tobytes()).hexdigest()[:32]
            target = out_dir / f"{digest}.png"
            if not target.exists():
                tmp = target.with_name(target.name + f".tmp{os.getpid()}")
                Image.fromarray(edited).save(tmp, "PNG")
                os.replace(tmp, target)
            sample.images = [sample.images[0], ImageRef(path=str(target), format="PNG",
                                                        width=edited.shape[1], height=edited.shape[0])]  # fmt: skip
            lines = [
                "There is 1 difference:"
                if len(diffs) == 1
                else f"There are {len(diffs)} differences:"
            ]
            for i, d in enumerate(diffs, 1):
                x, y, w, h = d["bbox"]
                lines.append(f"{i}. [{x}, {y}, {x + w}, {y + h}]: {WORDS[d['change']]}.")
            sample.messages = [
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "\n".join(lines)},
            ]
            sample.fields["differences"] = diffs
        return samples

    def _changes(
        self, source: np.ndarray, rng: random.Random
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        H, W = source.shape[:2]
        side = min(H, W)
        edited = source.copy()
        taken: list[tuple[int, int, int, int]] = []
        diffs: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, self.max_changes)):
            for _attempt in range(20):
                w = rng.randint(int(self.min_box * side), int(self.max_box * side))
                h = rng.randint(int(self.min_box * side), int(self.max_box * side))
                x, y = rng.randrange(0, W - w + 1), rng.randrange(0, H - h + 1)
                pad = 4  # changes never touch: each box stays one region
                if all(
                    x + w + pad <= bx
                    or bx + bw + pad <= x
                    or y + h + pad <= by
                    or by + bh + pad <= y
                    for bx, by, bw, bh in taken
                ):
                    break
            else:
                continue
            kind = rng.choice(CHANGES)
            trial = edited.copy()
            _edit(trial, (x, y, w, h), kind, rng)
            changed = np.abs(trial.astype(int) - edited.astype(int)).max(axis=2) > 24
            inside = np.zeros_like(changed)
            inside[y : y + h, x : x + w] = True
            if changed[~inside].any() or changed[inside].mean() < self.min_changed:
                continue  # spilled out (inpainting never does: checked) or barely visible
            edited = trial
            taken.append((x, y, w, h))
            ys, xs = np.nonzero(changed)
            box = [
                int(xs.min()),
                int(ys.min()),
                int(xs.max() - xs.min() + 1),
                int(ys.max() - ys.min() + 1),
            ]
            diffs.append({"bbox": box, "change": kind})
        # the exact boxes: any pixel that differs at all lies in one of them
        final = np.abs(edited.astype(int) - source.astype(int)).max(axis=2) > 0
        covered = np.zeros_like(final)
        for x, y, w, h in taken:
            covered[y : y + h, x : x + w] = True
        if final[~covered].any():
            return source, []
        diffs.sort(key=lambda d: (d["bbox"][1], d["bbox"][0]))
        return edited, diffs
