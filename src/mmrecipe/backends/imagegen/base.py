"""What image-generation backends share: the request/result types and the capability check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mmrecipe.errors import BackendError

#: what a generation backend can do
ImageCapability = Literal["text_to_image", "image_edit", "inpaint"]


@dataclass
class ImageRequest:
    """One image to make: from ``prompt`` alone (text-to-image), or by changing ``image`` as
    ``prompt`` says (edit), only where ``mask`` is white (inpainting). ``seed`` fixes the noise:
    the same request and seed give the same image."""

    prompt: str
    seed: int
    #: the source image (PIL, RGB) for edits and inpainting
    image: Any = None
    #: the region to repaint (PIL, mode "L", white = change), for inpainting
    mask: Any = None
    #: for logs and errors: "<sample id>/<step>"
    request_id: str = ""


@dataclass
class ImageResult:
    """The answer to one request: an RGB PIL image, or why there is none."""

    image: Any = None
    error: str | None = None


def task_capability(request: ImageRequest) -> ImageCapability:
    if request.mask is not None:
        return "inpaint"
    return "image_edit" if request.image is not None else "text_to_image"


def require_image_capability(backend: Any, capability: str, step: str) -> None:
    """Fail at setup when an op is pointed at a backend that cannot make its kind of image."""
    caps = getattr(backend, "capabilities", frozenset())
    if capability not in caps:
        raise BackendError(
            f"step {step!r}: backend {backend.name!r} ({backend.model}) cannot do {capability!r} "
            f"(it does: {', '.join(sorted(caps)) or 'nothing of the kind'}); see the "
            "image-generation backends in the README"
        )
