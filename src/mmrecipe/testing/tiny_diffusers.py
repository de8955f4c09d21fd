"""Tiny random diffusers pipelines built in code, for offline tests and dry runs.

Stable Diffusion-shaped pipelines (UNet 2 blocks of 16/32 channels, VAE of 2 blocks, a 2-layer
CLIP text encoder with the tiny experts' tokenizer) for three tasks: text-to-image
(``StableDiffusionPipeline``), instruction edit (``StableDiffusionInstructPix2PixPipeline``,
UNet in_channels 8) and inpainting (``StableDiffusionInpaintPipeline``, in_channels 9). Each
saves a ~0.5 MB folder that ``DiffusionPipeline.from_pretrained`` reloads with no hub access
and runs 2 steps at 32 px in tens of milliseconds. Images are noise: what pipeline tests need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Task = Literal["text_to_image", "edit", "inpaint"]

_IN_CHANNELS = {"text_to_image": 4, "edit": 8, "inpaint": 9}
_DDIM = {"steps_offset": 1, "clip_sample": False}


def build_tiny_diffusion(task: Task, path: Path | str, seed: int = 0) -> Path:
    """Build (or reuse, when ``path`` already holds one) a tiny random pipeline for ``task``."""
    path = Path(path)
    if (path / "model_index.json").is_file():
        return path
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        EulerAncestralDiscreteScheduler,
        StableDiffusionInpaintPipeline,
        StableDiffusionInstructPix2PixPipeline,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    from mmrecipe.testing.tiny_expert_parts import build_clip_tokenizer, text_config

    torch.manual_seed(seed)
    tokenizer = build_clip_tokenizer()
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32),
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=16,
        in_channels=_IN_CHANNELS[task],
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
    ).eval()
    vae = AutoencoderKL(
        block_out_channels=[16, 32],
        norm_num_groups=8,
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
    ).eval()
    text_encoder = CLIPTextModel(CLIPTextConfig(**text_config(tokenizer))).eval()
    parts = {
        "unet": unet,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "safety_checker": None,
        "feature_extractor": None,
        "requires_safety_checker": False,
    }
    if task == "edit":
        pipe = StableDiffusionInstructPix2PixPipeline(
            scheduler=EulerAncestralDiscreteScheduler(), **parts
        )
    elif task == "inpaint":
        pipe = StableDiffusionInpaintPipeline(scheduler=DDIMScheduler(**_DDIM), **parts)
    else:
        pipe = StableDiffusionPipeline(scheduler=DDIMScheduler(**_DDIM), **parts)
    path.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pipe.save_pretrained(tmp)
    for item in tmp.iterdir():
        item.rename(path / item.name)
    tmp.rmdir()
    return path
