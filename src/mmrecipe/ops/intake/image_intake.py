"""Check every image of a sample and normalize the ones trainers would choke on."""

from __future__ import annotations

import os
from typing import Literal

from mmrecipe.imaging import ImageRejected, Limits, check_image, save_normalized
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.stats import current_step_stats


@register_op("image_intake")
class ImageIntake(MapOp):
    """Reject unusable images with a reason; normalize odd ones (CMYK, 16-bit, palette, alpha,
    animated, EXIF-rotated, exotic formats) to RGB PNG under ``RUN_DIR/images/normalized``.

    Args:
        max_file_bytes: larger files are rejected before reading
        max_pixels: width*height cap checked before decoding (decompression bombs)
        max_side: longest side allowed, in pixels
        min_side: shortest side allowed, in pixels
        max_aspect_ratio: long side / short side allowed
        animated: keep the first frame of animated images, or reject them
        text_only: a sample with no image (the text-only part of a mixed dataset such as
            LLaVA's 665k mix) is rejected (``no_image``) or kept, counted in the step's
            ``routed`` stats as ``kept_text_only``
        reencode: "auto" re-encodes (to PNG) any file with bytes after the image's end, so a
            polyglot (a PNG with a ZIP appended) never travels on byte-identical; "always"
            re-encodes every image (drops metadata chunks too); "never" keeps plain files as is
        perceptual_hash: also store each image's perceptual hash and crop views in
            ``fields.<phash|dhash>`` (one list per image) from a reduced-size JPEG decode, so
            ``near_dedup`` needs no second decode
    """

    reads = ("images",)
    writes = ("images", "fields.image_fixes")

    def __init__(
        self,
        max_file_bytes: int = 200 * 1024 * 1024,
        max_pixels: int = 100_000_000,
        max_side: int = 20_000,
        min_side: int = 8,
        max_aspect_ratio: float = 64.0,
        animated: Literal["first_frame", "reject"] = "first_frame",
        text_only: Literal["reject", "keep"] = "reject",
        reencode: Literal["auto", "always", "never"] = "auto",
        perceptual_hash: Literal["phash", "dhash"] | None = None,
    ) -> None:
        self.text_only = text_only
        self.perceptual_hash = perceptual_hash
        if perceptual_hash:
            self.writes = (*self.writes, f"fields.{perceptual_hash}")
        self.limits = Limits(
            max_file_bytes=max_file_bytes,
            max_pixels=max_pixels,
            max_side=max_side,
            min_side=min_side,
            max_aspect_ratio=max_aspect_ratio,
            animated=animated,
            reencode=reencode,
        )

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None
        out_dir = self.ctx.image_dir / "normalized"
        if self.perceptual_hash:  # numpy (for the hashes) is loaded only by runs that hash
            from mmrecipe.curation.phash import image_hashes
        for sample in samples:
            if not sample.images:
                if self.text_only == "keep":
                    stats = current_step_stats.get()
                    if stats is not None:
                        stats.routed["kept_text_only"] += 1
                else:
                    sample.reject(self.name, "no_image", "sample has no image")
                continue
            fixes: list[str] = []
            hashes: list[list[str]] = []
            for index, ref in enumerate(sample.images):
                try:
                    checked = check_image(ref.path, self.limits, draft=bool(self.perceptual_hash))
                except ImageRejected as exc:
                    where = f"image {index}: " if len(sample.images) > 1 else ""
                    sample.reject(self.name, exc.reason, where + exc.detail)
                    break
                if checked.normalized is not None:
                    new_path = save_normalized(checked.normalized, out_dir, checked.sha256)
                    sample.fields.setdefault("original_images", {})[str(index)] = ref.path
                    ref.path = str(new_path)
                    ref.format = "PNG"
                    fixes.extend(checked.fixes)
                else:
                    ref.format = checked.format
                ref.sha256 = checked.sha256  # the source bytes' hash: the image's identity
                # the size of the file the sample now points at (the normalized PNG, if any)
                ref.size_bytes = (
                    os.path.getsize(ref.path)
                    if checked.normalized is not None
                    else checked.size_bytes
                )
                ref.width, ref.height = checked.width, checked.height
                if self.perceptual_hash and checked.decoded is not None:
                    hashes.append(image_hashes(checked.decoded, self.perceptual_hash))
            if self.perceptual_hash and not sample.rejected:
                sample.fields[self.perceptual_hash] = hashes
            if fixes and not sample.rejected:
                sample.fields["image_fixes"] = fixes
        return samples
