"""The diffusers backend on tiny random pipelines: deterministic per request whatever the
batch, edits come back at the source's size, settings a pipeline does not take are refused,
and a request of the wrong kind fails alone. The GPU test runs a real small pipeline."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.backends import build_backend
from mmrecipe.backends.imagegen.base import ImageRequest
from mmrecipe.backends.imagegen.diffusion import task_of
from mmrecipe.errors import BackendError, ConfigError

pytest.importorskip("diffusers", reason="the diffusers backend needs the 'imagegen' extra")


def _digest(image: Image.Image) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()


def _max_diff(a: Image.Image, b: Image.Image) -> int:
    """Largest channel difference: batched kernels may round differently from unbatched."""
    return int(np.abs(np.asarray(a, int) - np.asarray(b, int)).max())


@pytest.fixture(scope="module")
def t2i(tiny_stand_ins: Path) -> Path:
    from mmrecipe.testing.tiny_diffusers import build_tiny_diffusion

    return build_tiny_diffusion("text_to_image", tiny_stand_ins / "diffusion-text_to_image")


@pytest.fixture(scope="module")
def editor(tiny_stand_ins: Path) -> Path:
    from mmrecipe.testing.tiny_diffusers import build_tiny_diffusion

    return build_tiny_diffusion("edit", tiny_stand_ins / "diffusion-edit")


def test_task_from_pipeline_class() -> None:
    assert task_of("StableDiffusionInpaintPipeline") == "inpaint"
    assert task_of("FluxFillPipeline") == "inpaint"
    assert task_of("FluxKontextPipeline") == "edit"
    assert task_of("StableDiffusionInstructPix2PixPipeline") == "edit"
    assert task_of("FluxPipeline") == "text_to_image"


def test_text_to_image_is_deterministic_per_request(t2i: Path) -> None:
    spec = {"type": "diffusers", "model": str(t2i), "device": "cpu", "num_inference_steps": 2}
    spec.update(width=32, height=32, batch_size=3)
    backend = build_backend("t2i", spec)
    assert backend.capabilities == frozenset({"text_to_image"})
    requests = [ImageRequest("a red dog", 1), ImageRequest("a cat", 2), ImageRequest("a cup", 3)]
    batched = backend.render(requests)
    alone = backend.render([ImageRequest("a cat", 2)])
    assert all(r.error is None for r in batched)
    assert batched[0].image.size == (32, 32)
    assert _max_diff(alone[0].image, batched[1].image) <= 2  # the batch does not matter
    assert _digest(backend.render(requests)[2].image) == _digest(batched[2].image)
    other_seed = backend.render([ImageRequest("a cat", 7)])[0]
    assert _max_diff(other_seed.image, alone[0].image) > 20
    # an edit request to a text-to-image pipeline fails alone
    mixed = backend.render([ImageRequest("x", 1, image=Image.new("RGB", (8, 8))), requests[0]])
    assert mixed[0].error and "cannot do image_edit" in mixed[0].error
    assert _max_diff(mixed[1].image, batched[0].image) <= 2


def test_edit_keeps_the_source_size(editor: Path) -> None:
    spec = {"type": "diffusers", "model": str(editor), "device": "cpu", "num_inference_steps": 2}
    backend = build_backend("edit", {**spec, "max_side": 32, "image_guidance_scale": 1.5})
    assert backend.capabilities == frozenset({"image_edit"})
    source = Image.new("RGB", (50, 37), (200, 20, 20))
    out = backend.render([ImageRequest("make it blue", 5, image=source)])[0]
    assert out.error is None and out.image.size == (50, 37)


def test_settings_are_checked(t2i: Path, tmp_path: Path) -> None:
    base = {"type": "diffusers", "model": str(t2i), "device": "cpu"}
    with pytest.raises(ConfigError, match="num_inference_step"):
        build_backend("g", {**base, "num_inference_step": 2})  # a typo
    with pytest.raises(ConfigError, match="takes no image_guidance_scale"):
        build_backend("g", {**base, "image_guidance_scale": 1.5})
    with pytest.raises(BackendError, match="cannot load diffusers model"):
        build_backend("g", {**base, "model": str(tmp_path / "nowhere")})


@pytest.mark.gpu
def test_pipeline_on_gpu(t2i: Path) -> None:
    """On CUDA in float16 (``dtype: auto``): ``MMRECIPE_GPU_T2I`` names a real pipeline (a
    local folder or a cached hub id, e.g. stabilityai/sdxl-turbo); without it the tiny one."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    model = os.environ.get("MMRECIPE_GPU_T2I", str(t2i))
    spec = {"type": "diffusers", "model": model, "device": "auto", "num_inference_steps": 4}
    spec.update(width=512 if "MMRECIPE_GPU_T2I" in os.environ else 32, batch_size=2)
    spec["height"] = spec["width"]
    backend = build_backend("gpu", spec)
    assert backend.device.startswith("cuda") and backend.torch_dtype == torch.float16
    requests = [ImageRequest("a red dog", 1), ImageRequest("a cat", 2)]
    first = backend.render(requests)
    again = backend.render(requests)
    assert all(r.error is None for r in first)
    assert first[0].image.size == (spec["width"], spec["height"])
    assert _digest(first[1].image) == _digest(again[1].image)  # same seed, same batch: same bits
    assert _max_diff(first[0].image, first[1].image) > 0
