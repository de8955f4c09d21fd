# Image-generation backends: diffusers pipelines and the OpenAI-compatible images API.
# Imported by backends/ (build_backend), ops/imagegen and testing/; never imports ops.
"""Image-generation backends: models whose answer is an image, not text.

| type | engine | capabilities |
| --- | --- | --- |
| ``diffusers`` | any diffusers pipeline, in process: text-to-image (SD, SDXL, Flux, ...), instruction edit (InstructPix2Pix, Flux Kontext, ...), mask inpainting (SD/SDXL inpaint, Flux Fill, ...) | ``text_to_image``, ``image_edit``, ``inpaint`` |
| ``openai_images`` | an OpenAI-compatible server's ``images/generations`` and ``images/edits`` | ``text_to_image``, ``image_edit``, ``inpaint`` |

Ops call ``render(requests) -> results`` with :class:`~mmrecipe.backends.imagegen.base.ImageRequest`
items (prompt, seed, optional source image and mask) and get a PIL image or an error per
request. Each type declares its settings as a pydantic model (``Backend.Settings``).
"""

from __future__ import annotations

#: backend type -> "module:Class" (registered in ``mmrecipe.backends.BACKEND_TYPES``)
IMAGEGEN_TYPES: dict[str, str] = {
    "diffusers": "mmrecipe.backends.imagegen.diffusion:DiffusersBackend",
    "openai_images": "mmrecipe.backends.imagegen.openai_images:OpenAIImagesBackend",
}
