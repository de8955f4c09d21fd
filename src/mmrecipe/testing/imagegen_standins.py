"""Tiny stand-ins for the image-generation backends (``diffusers``, ``openai_images``): a tiny
random diffusers pipeline of the backend's task (text-to-image, edit or inpaint), 2 steps at
32-64 px, registered with :mod:`mmrecipe.testing.standins`."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def standin_task(spec: dict[str, Any]) -> str:
    """The task a recipe's generation backend performs: its ``task`` setting, else a guess
    from the model name (an inpainting / edit checkpoint names itself so)."""
    task = spec.get("task")
    if task in ("text_to_image", "edit", "inpaint"):
        return str(task)
    name = str(spec.get("model", "")).lower()
    if "inpaint" in name or "fill" in name:
        return "inpaint"
    if any(k in name for k in ("pix2pix", "kontext", "edit", "img2img")):
        return "edit"
    return "text_to_image"


def diffusion_standin(name: str, spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    from mmrecipe.testing.tiny_diffusers import build_tiny_diffusion

    task = standin_task(spec)
    path = build_tiny_diffusion(task, folder / f"diffusion-{task}")  # type: ignore[arg-type]
    out: dict[str, Any] = {
        "type": "diffusers",
        "model": str(path),
        "device": "cpu",
        "task": task,
        "num_inference_steps": 2,
        "max_side": 64,
        "batch_size": 8,
    }
    if task == "text_to_image":
        out.update(width=32, height=32)
    return out
