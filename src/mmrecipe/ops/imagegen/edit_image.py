"""Instruction-based image editing: source image + instruction (+ mask) -> edited image."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmrecipe.backends.imagegen.base import ImageRequest
from mmrecipe.backends.inputs import RequestError
from mmrecipe.errors import ConfigError
from mmrecipe.experts.geometry import rle_encode
from mmrecipe.experts.opsupport import open_rgb
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.imagegen.opsupport import ImageMaker
from mmrecipe.ops.imagegen.support import mask_from, mask_image, sample_seed
from mmrecipe.prompted import IMAGE
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("edit_image")
class EditImage(ImageMaker, MapOp):
    """Edit ``sample.images[image_index]`` as ``fields.<instruction_field>`` says, with an
    ``image_edit`` backend (InstructPix2Pix, Flux Kontext), or, with ``mask_field``, repaint
    only the masked region with an ``inpaint`` backend (the mask: a COCO RLE, a region with a
    ``mask`` or ``box``, or a box). The edited image has the source's size, is saved as
    ``images/<step>/<sample id>.png``, appended to ``sample.images``, and its index goes to
    ``fields.<output_field>`` (``fields.source_image`` keeps the source's index): a triplet.
    The mask actually used (after ``mask_dilate``) is kept in ``fields.edit_mask`` (COCO RLE).

    Args:
        backend: a ``type: diffusers`` (edit or inpaint pipeline) or ``openai_images`` backend
        instruction_field: the field holding the edit instruction
        mask_field: a field holding the region to repaint (None: an instruction edit)
        mask_dilate: grow the mask by this many pixels (inpainting blends better at edges)
        output_field: where the edited image's index in ``sample.images`` goes
        image_index: which of the sample's images is the source
        seed: the recipe's seed (each sample's seed derives from it)
        keep_unmasked: with a mask, paste the source back outside it (diffusers' advice for
            inpainting: the VAE round trip otherwise shifts every pixel a little)
        as_turn: append a user turn (source image + instruction) and an assistant turn
            holding the edited image (ShareGPT-4o-Image's editing records)
    """

    def __init__(
        self,
        backend: str,
        instruction_field: str = "instruction",
        mask_field: str | None = None,
        mask_dilate: int = 0,
        output_field: str = "edited_image",
        image_index: int = 0,
        seed: int = 0,
        keep_unmasked: bool = True,
        as_turn: bool = False,
    ) -> None:
        if mask_dilate < 0:
            raise ConfigError("edit_image: mask_dilate must be >= 0")
        self.backend_name = backend
        self.instruction_field = instruction_field
        self.mask_field = mask_field
        self.mask_dilate = mask_dilate
        self.output_field = output_field
        self.image_index = image_index
        self.seed = seed
        self.keep_unmasked = keep_unmasked
        self.as_turn = as_turn
        self.capability = "inpaint" if mask_field else "image_edit"
        reads = ["images", f"fields.{instruction_field}"]
        if mask_field:
            reads.append(f"fields.{mask_field}")
        self.reads = tuple(reads)
        writes = ["images", f"fields.{output_field}", "fields.source_image", "trace"]
        if mask_field:
            writes.append("fields.edit_mask")
        if as_turn:
            writes.append("messages")
        self.writes = tuple(writes)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        pending = []
        for sample in samples:
            if sample.rejected:
                continue
            instruction = sample.fields.get(self.instruction_field)
            if not isinstance(instruction, str) or not instruction.strip():
                sample.reject(
                    self.name, "no_instruction", f"fields.{self.instruction_field} is empty"
                )
                continue
            if len(sample.images) <= self.image_index:
                sample.reject(
                    self.name, "no_image", f"the sample has {len(sample.images)} image(s)"
                )
                continue
            try:
                source = open_rgb(sample.images[self.image_index])
            except RequestError as exc:
                sample.reject(self.name, "unreadable_image", str(exc))
                continue
            mask = None
            if self.mask_field:
                region = mask_from(sample.fields.get(self.mask_field), *source.size)
                if region is None or not region.any():
                    sample.reject(
                        self.name,
                        "no_mask",
                        f"fields.{self.mask_field} holds no mask of the image's size",
                    )
                    continue
                mask = mask_image(region, self.mask_dilate)
                sample.fields["edit_mask"] = rle_encode(np.asarray(mask) > 127)
            seed = sample_seed(self.seed, sample.id, self.name)
            sample.fields["source_image"] = self.image_index
            request = ImageRequest(
                instruction.strip(),
                seed,
                image=source,
                mask=mask,
                request_id=f"{sample.id}/{self.name}",
            )
            pending.append((sample, request))
        for sample in self.make(pending, self.name, self._paste if self.keep_unmasked else None):
            if self.as_turn:
                instruction = str(sample.fields[self.instruction_field]).strip()
                sample.messages.append({"role": "user", "content": f"{IMAGE}\n{instruction}"})
                sample.messages.append({"role": "assistant", "content": IMAGE})
        return samples

    @staticmethod
    def _paste(request: ImageRequest, image: Any) -> Any:
        """The edited pixels inside the mask, the source's outside it."""
        if request.mask is None:
            return image
        from PIL import Image

        return Image.composite(image, request.image, request.mask.convert("L"))
