"""Groups of 2-4 images from one folder, for comparison questions over several images."""

from __future__ import annotations

import hashlib
import os
import random
import stat
from pathlib import Path

from mmrecipe.errors import ConfigError
from mmrecipe.imaging import ImageRejected, Limits, check_image
from mmrecipe.io.image_folder import IMAGE_EXTENSIONS
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef, Sample


@register_op("image_group")
class ImageGroup(MapOp):
    """Add 1 to ``size - 1`` other images from the sample's image folder (its siblings, picked
    by a hash of the sample id: deterministic) so a model can be asked to compare them. Only
    regular files are taken (no symlinks: a sibling never leads out of the folder the dataset
    root already admitted), each checked as ``image_intake`` would (a broken one is skipped).

    Rejects: ``no_image``, ``no_siblings`` (fewer than ``min_size`` usable images in the folder).

    Args:
        min_size: fewest images in a group (the sample's own included)
        max_size: most images in a group
        max_candidates: siblings looked at per sample (large folders are sampled, not listed)
        seed: picks the group size and the siblings (with the sample id)
    """

    reads = ("images",)
    writes = ("images", "fields.group")

    def __init__(
        self, min_size: int = 2, max_size: int = 4, max_candidates: int = 64, seed: int = 0
    ) -> None:
        if not 2 <= min_size <= max_size <= 8:
            raise ConfigError("image_group: 2 <= min_size <= max_size <= 8")
        self.min_size, self.max_size = min_size, max_size
        self.max_candidates, self.seed = max_candidates, seed
        self._listing: dict[str, list[str]] = {}

    def _siblings(self, path: str) -> list[str]:
        folder = os.path.dirname(path)
        if folder not in self._listing:
            names = []
            with os.scandir(folder) as entries:
                for entry in entries:
                    if Path(entry.name).suffix.lower() not in IMAGE_EXTENSIONS:
                        continue
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode):
                        names.append(entry.path)
            if len(self._listing) > 1024:
                self._listing.clear()
            self._listing[folder] = sorted(names)
        return self._listing[folder]

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        limits = Limits()
        for sample in samples:
            if sample.rejected:
                continue
            if not sample.images:
                sample.reject(self.name, "no_image", "sample has no image")
                continue
            own = sample.images[0].path
            rng = random.Random(hashlib.sha256(f"{self.seed}\x1f{sample.id}".encode()).digest())
            want = rng.randint(self.min_size, self.max_size) - 1
            others = [
                p for p in self._siblings(own) if os.path.realpath(p) != os.path.realpath(own)
            ]
            rng.shuffle(others)
            group: list[ImageRef] = []
            for path in others[: self.max_candidates]:
                if len(group) >= want:
                    break
                try:
                    checked = check_image(path, limits)
                except ImageRejected:
                    continue
                if checked.normalized is not None:
                    continue  # odd files stay out rather than be normalized here
                group.append(ImageRef(path=path, sha256=checked.sha256, width=checked.width,
                                      height=checked.height, format=checked.format))  # fmt: skip
            if len(group) + 1 < self.min_size:
                sample.reject(
                    self.name, "no_siblings", f"{len(group) + 1} usable image(s) in the folder"
                )
                continue
            sample.images = [sample.images[0], *group]
            sample.fields["group"] = [os.path.basename(r.path) for r in sample.images]
        return samples
