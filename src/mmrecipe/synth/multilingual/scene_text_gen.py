"""The ``scene_text`` generator: multilingual signs on scikit-image's bundled photos.

The offline default of scene text (no input needed: the photos ship inside scikit-image's wheel);
``recipes/synth-scenetext.yaml`` puts the same text on the user's own photos with the
``scene_text_on_images`` op. Each item is a random crop of one photo with one to three sign
lines placed by :func:`mmrecipe.synth.multilingual.scene_text.place_text`.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.multilingual.languages import LanguageMix
from mmrecipe.synth.multilingual.placement import find_faces
from mmrecipe.synth.multilingual.scene_text import SceneTextSettings, fit_photo, place_text
from mmrecipe.synth.multilingual.scene_text_tasks import (
    check_tasks,
    derive_answer,
    make_question,
    verify_answer,
)

#: photos a sign could plausibly be on (no telescope field, micrograph, coins or moon; no brick
#: texture, whose every region is busy, and no cat, whose fur is all a close-up offers)
PHOTOS = ("astronaut", "coffee", "rocket", "camera", "stereo_motorcycle")


@lru_cache(maxsize=len(PHOTOS))
def bundled_photo(name: str) -> Image.Image:
    import skimage.data

    arr = getattr(skimage.data, name)()
    if isinstance(arr, tuple):  # stereo_motorcycle: (left, right, disparity)
        arr = arr[0]
    if arr.dtype != np.uint8:
        arr = (arr * 255).astype(np.uint8) if arr.max() <= 1 else arr.astype(np.uint8)
    return Image.fromarray(arr).convert("RGB")


@lru_cache(maxsize=len(PHOTOS))
def _photo_faces(name: str) -> tuple[tuple[float, float, float, float], ...]:
    return tuple(find_faces(bundled_photo(name)))


@register_generator("scene_text")
class SceneTextGenerator(Generator):
    """Signs in several languages and scripts on the bundled photos, with their quads.

    Args (generator options): ``languages`` (list, or language -> ratio), ``tasks``,
    ``max_detail``, ``max_edge_density``, ``min_contrast``, ``plate_ratio``, ``font_dirs``,
    ``max_side`` (plates may be on regions 1.5x as detailed: a board hides some texture)."""

    def __init__(
        self,
        languages: dict[str, float] | list[str] | None = None,
        tasks: list[str] | None = None,
        max_detail: float = 8.0,
        max_edge_density: float = 0.04,
        min_contrast: float = 4.5,
        plate_ratio: float = 0.5,
        font_dirs: list[str] | None = None,
        max_side: int = 768,
    ) -> None:
        self.languages = LanguageMix(languages).ratios
        self.tasks = check_tasks(tasks)
        self.max_detail = max_detail
        self.max_edge_density = max_edge_density
        self.min_contrast = min_contrast
        self.plate_ratio = plate_ratio
        self._settings = SceneTextSettings(
            languages=LanguageMix(self.languages),
            max_detail=max_detail,
            max_detail_plate=1.5 * max_detail,
            max_edge_density=max_edge_density,
            max_edge_density_plate=min(1.0, 1.5 * max_edge_density),
            min_contrast=min_contrast,
            plate_ratio=plate_ratio,
            font_dirs=font_dirs,
            max_side=max_side,
        )
        self._settings.catalog()  # a missing font is refused now, not at the first item

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        for _attempt in range(12):
            name = rng.choice(PHOTOS)
            photo = bundled_photo(name)
            side = rng.choice([384, 448, 512])
            crop = min(photo.width, photo.height, rng.randint(300, 700))
            x0 = rng.randint(0, photo.width - crop)
            y0 = rng.randint(0, photo.height - crop)
            scale = side / crop
            image = photo.crop((x0, y0, x0 + crop, y0 + crop)).resize(
                (side, side), Image.Resampling.BILINEAR
            )
            faces = [
                ((a - x0) * scale, (b - y0) * scale, (c - x0) * scale, (d - y0) * scale)
                for a, b, c, d in _photo_faces(name)
            ]
            out, gt, _rejects = place_text(image, rng, difficulty, self._settings, faces)
            if gt is not None:
                gt["photo"] = name
                gt["crop"] = [x0, y0, crop]
                return self._item(rng, out, gt)
        raise RuntimeError("no bundled photo had a flat region in 12 crops")

    def make_on(
        self,
        photo: Image.Image,
        rng: random.Random,
        difficulty: int,
        avoid: list[tuple[float, float, float, float]] | None = None,
    ) -> tuple[SynthItem | None, dict[str, int]]:
        """Text on the user's ``photo`` (scaled to ``max_side`` first), clear of the ``avoid``
        boxes (pixels of ``photo``): the item, or None when no region passed; and the rejected
        placements by reason."""
        image = fit_photo(photo, self._settings.max_side)
        k = image.width / photo.width
        objects = [(a * k, b * k, c * k, d * k) for a, b, c, d in avoid or []]
        out, gt, rejects = place_text(image, rng, difficulty, self._settings, objects=objects)
        return (None if gt is None else self._item(rng, out, gt)), dict(rejects)

    def _item(self, rng: random.Random, image: Image.Image, gt: dict[str, Any]) -> SynthItem:
        task = rng.choice(self.tasks)
        gt["question"] = make_question(rng, task, gt)
        return SynthItem(
            images=[image],
            task=task,
            ground_truth=gt,
            question=gt["question"]["text"],
            answer=derive_answer(gt),
            extra={"words": gt["words"], "ocr_mode": "scene"},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        return verify_answer(ground_truth, answer)
