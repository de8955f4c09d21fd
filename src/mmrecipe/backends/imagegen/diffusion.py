"""Any diffusers pipeline as an image-generation backend (``type: diffusers``).

The pipeline class comes from the model folder (``DiffusionPipeline.from_pretrained``), and the
task from the class unless ``task`` says otherwise: ``*Inpaint*``/``*Fill*`` pipelines inpaint
(source image + mask), ``*InstructPix2Pix*``/``*Kontext*``/``*Img2Img*``/``*Edit*`` pipelines
edit (source image + instruction), others make images from text.

Deterministic per request: each request's initial noise comes from its own CPU
``torch.Generator`` seeded with the request's seed, so a sample gets the same image whatever
batch it lands in and on any device (bit for bit in the same batch layout; batched kernels may
round the last bit differently). Edits and inpaintings come back at the source's size (the
model sees the source scaled to at most ``max_side`` and to a multiple of 16, and its output is
scaled back), so source and edited image align pixel for pixel.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from typing import Any, Literal

import pydantic

from mmrecipe.backends.experts.base import ExpertBackend, ExpertSettings
from mmrecipe.backends.imagegen.base import ImageRequest, ImageResult, task_capability
from mmrecipe.errors import BackendError, ConfigError

Task = Literal["auto", "text_to_image", "edit", "inpaint"]
_CAPABILITY = {"text_to_image": "text_to_image", "edit": "image_edit", "inpaint": "inpaint"}


class DiffusersSettings(ExpertSettings):
    #: "auto" (from the pipeline class), or force "text_to_image" / "edit" / "inpaint"
    task: Task = "auto"
    #: images per pipeline call (same-size sources are batched together)
    batch_size: int = pydantic.Field(default=4, ge=1)
    #: denoising steps (SD 1.5: 50; InstructPix2Pix: 10-100, 20 in its examples; Flux: 28)
    num_inference_steps: int = pydantic.Field(default=30, ge=1)
    #: classifier-free guidance on the text (None: the pipeline's default)
    guidance_scale: float | None = None
    #: InstructPix2Pix's image guidance (None: the pipeline's default, 1.5)
    image_guidance_scale: float | None = None
    #: inpainting strength (None: the pipeline's default, 1.0)
    strength: float | None = pydantic.Field(default=None, gt=0, le=1)
    #: text-to-image size in pixels (None: the model's default)
    width: int | None = pydantic.Field(default=None, ge=16)
    height: int | None = pydantic.Field(default=None, ge=16)
    #: edits: the longest side the model sees (larger sources are scaled down, the result up)
    max_side: int = pydantic.Field(default=1024, ge=16)
    #: what the images must not show (pipelines that take one)
    negative_prompt: str | None = None
    #: keep the pipeline's parts on the CPU and move each to the GPU while it runs (diffusers'
    #: enable_model_cpu_offload: Flux-size models on a small GPU, at some speed cost)
    cpu_offload: bool = False


def task_of(pipeline_class: str) -> str:
    """The task a diffusers pipeline class performs, from its name."""
    if "Inpaint" in pipeline_class or "Fill" in pipeline_class:
        return "inpaint"
    if any(k in pipeline_class for k in ("InstructPix2Pix", "Kontext", "Img2Img", "Edit")):
        return "edit"
    return "text_to_image"


def _model_size(width: int, height: int, max_side: int, multiple: int = 16) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    w = max(multiple, int(width * scale) // multiple * multiple)
    h = max(multiple, int(height * scale) // multiple * multiple)
    return w, h


class DiffusersBackend(ExpertBackend):
    """``render(requests)`` -> one image (or error) per request, batched by size."""

    type_name = "diffusers"
    Settings = DiffusersSettings
    settings: DiffusersSettings

    def _load(self) -> None:
        try:
            import diffusers
        except ImportError as exc:
            raise BackendError(
                f"backend {self.name!r}: type 'diffusers' needs diffusers: "
                "pip install 'mmrecipe[imagegen]'"
            ) from exc
        diffusers.utils.logging.disable_progress_bar()
        kw: dict[str, Any] = {"local_files_only": self.settings.local_files_only}
        if self.torch_dtype != self._torch.float32:
            kw["torch_dtype"] = self.torch_dtype
        if self.settings.trust_remote_code:
            kw["trust_remote_code"] = True
        pipe = diffusers.DiffusionPipeline.from_pretrained(self.model, **kw)
        if self.settings.cpu_offload:
            if not self.device.startswith("cuda"):
                raise ConfigError(f"backend {self.name!r}: cpu_offload needs a CUDA device")
            gpu_id = int(self.device.partition(":")[2] or 0)
            pipe.enable_model_cpu_offload(gpu_id=gpu_id)
        else:
            pipe = pipe.to(self.device)
        for part in pipe.components.values():  # built-from-config parts start in train mode
            if hasattr(part, "eval"):
                part.eval()
        pipe.set_progress_bar_config(disable=True)
        self.engine = pipe
        self.pipeline_class = type(pipe).__name__
        self.task = (
            task_of(self.pipeline_class) if self.settings.task == "auto" else self.settings.task
        )
        self.capabilities = frozenset({_CAPABILITY[self.task]})
        self._accepts = set(inspect.signature(pipe.__call__).parameters)
        for knob in ("guidance_scale", "image_guidance_scale", "strength", "negative_prompt"):
            if getattr(self.settings, knob) is not None and knob not in self._accepts:
                raise ConfigError(
                    f"backend {self.name!r}: {self.pipeline_class} takes no {knob}; remove it"
                )

    # --- calls ------------------------------------------------------------------------------

    def _common(self, prompts: list[str], seeds: list[int]) -> dict[str, Any]:
        torch = self._torch
        kw: dict[str, Any] = {
            "prompt": prompts,
            "num_inference_steps": self.settings.num_inference_steps,
            "generator": [torch.Generator("cpu").manual_seed(int(s)) for s in seeds],
            "output_type": "pil",
        }
        for knob in ("guidance_scale", "image_guidance_scale", "strength"):
            value = getattr(self.settings, knob)
            if value is not None:
                kw[knob] = value
        if self.settings.negative_prompt is not None:
            kw["negative_prompt"] = [self.settings.negative_prompt] * len(prompts)
        return kw

    def _call(self, group: list[ImageRequest]) -> list[Any]:
        kw = self._common([r.prompt for r in group], [r.seed for r in group])
        if self.task == "text_to_image":
            if self.settings.width is not None:
                kw["width"] = self.settings.width
            if self.settings.height is not None:
                kw["height"] = self.settings.height
            with self._lock, self._torch.inference_mode():
                return list(self.engine(**kw).images)
        from PIL import Image

        src_w, src_h = group[0].image.size
        w, h = _model_size(src_w, src_h, self.settings.max_side)
        kw["image"] = [r.image.convert("RGB").resize((w, h), Image.BICUBIC) for r in group]
        if self.task == "inpaint":
            kw["mask_image"] = [r.mask.convert("L").resize((w, h), Image.NEAREST) for r in group]
        if "width" in self._accepts and "height" in self._accepts:
            kw["width"], kw["height"] = w, h
        if "max_area" in self._accepts:  # Kontext sizes its output by area, not width/height
            kw["max_area"] = w * h
        with self._lock, self._torch.inference_mode():
            images = list(self.engine(**kw).images)
        return [im.convert("RGB").resize((src_w, src_h), Image.BICUBIC) for im in images]

    def render(self, requests: list[ImageRequest]) -> list[ImageResult]:
        """One result per request, in order. A failing batch is retried one request at a time,
        so one bad request fails alone."""
        results: list[ImageResult | None] = [None] * len(requests)
        groups: dict[Any, list[int]] = defaultdict(list)
        for i, request in enumerate(requests):
            need = task_capability(request)
            if need != _CAPABILITY[self.task] and not (
                need == "image_edit" and self.task == "inpaint"
            ):
                results[i] = ImageResult(error=f"{self.pipeline_class} cannot do {need}")
                continue
            if self.task == "inpaint" and request.mask is None:
                results[i] = ImageResult(error="inpainting needs a mask")
                continue
            size = request.image.size if request.image is not None else None
            groups[size].append(i)
        for indices in groups.values():
            for chunk in self.batches(indices):
                self._run_chunk([requests[i] for i in chunk], list(chunk), results)
        return [r if r is not None else ImageResult(error="not rendered") for r in results]

    def _run_chunk(
        self, group: list[ImageRequest], indices: list[int], results: list[ImageResult | None]
    ) -> None:
        try:
            for i, image in zip(indices, self._call(group), strict=True):
                results[i] = ImageResult(image=image)
            return
        except (RuntimeError, ValueError, TypeError) as exc:
            if len(group) == 1:
                results[indices[0]] = ImageResult(error=f"{type(exc).__name__}: {exc}"[:500])
                return
        for request, i in zip(group, indices, strict=True):
            self._run_chunk([request], [i], results)
