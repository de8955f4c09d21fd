"""The part of generate_image and edit_image that talks to the backend and stores images."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mmrecipe.backends.imagegen.base import ImageRequest, require_image_capability
from mmrecipe.context import OpContext
from mmrecipe.ops.imagegen.support import safe_stem, save_png
from mmrecipe.sample import Sample


class ImageMaker:
    """Mixin (before the op kind): ``backend_name`` names a generation backend, set up with
    the op; ``make`` renders the requests of live samples and appends each image to its
    sample (failures reject the sample)."""

    backend_name: str
    capability: str
    output_field: str
    generator: Any = None
    name: str

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)  # the op kind's, next in the MRO
        self.setup_generator(ctx, self.name)

    def setup_generator(self, ctx: OpContext, step: str) -> None:
        self.generator = ctx.backend(self.backend_name)
        require_image_capability(self.generator, self.capability, step)
        self.out_dir = ctx.image_dir / safe_stem(step)

    def make(
        self,
        pending: list[tuple[Sample, ImageRequest]],
        step: str,
        post: Callable[[ImageRequest, Any], Any] | None = None,
    ) -> list[Sample]:
        """Render, save under ``images/<step>/``, append to ``sample.images``, store the new
        image's index in ``fields[output_field]`` and the request in the trace; ``post``
        may change each image before it is saved."""
        if not pending:
            return []
        results = self.generator.render([req for _, req in pending])
        done = []
        for (sample, req), result in zip(pending, results, strict=True):
            sample.trace[step] = {
                "request": {
                    "backend": self.backend_name,
                    "model": self.generator.model,
                    "prompt": req.prompt,
                    "seed": req.seed,
                    "masked": req.mask is not None,
                },
            }
            if result.error is not None or result.image is None:
                sample.reject(step, "model_error", result.error or "no image came back")
                continue
            image = post(req, result.image) if post is not None else result.image
            ref = save_png(image, self.out_dir, safe_stem(sample.id))
            sample.images.append(ref)
            sample.fields[self.output_field] = len(sample.images) - 1
            sample.trace[step]["response"] = {"image": ref.path, "sha256": ref.sha256}
            done.append(sample)
        return done
