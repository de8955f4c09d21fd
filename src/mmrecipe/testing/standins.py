"""Tiny offline stand-ins for a recipe's backends, so any recipe dry-runs with no model.

``python -m mmrecipe.testing tiny --recipe RECIPE DIR`` builds, under DIR, a tiny random model
for every backend the recipe declares and prints one ``--set`` override per line (two words:
``--set`` and ``backends.NAME={...}``), ready for
``mmrecipe run RECIPE --input X -o RUN $(python -m mmrecipe.testing tiny --recipe RECIPE DIR)``.

Extensible by backend type: ``register_standin("mytype", fn)`` where ``fn(name, spec, dir)``
returns the replacement spec (a dict) or None when the backend runs offline as it is (e.g. a
local OCR engine). A type with no stand-in registered is refused with one line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmrecipe.errors import ConfigError

#: fn(backend name, recipe spec, folder to build in) -> replacement spec, or None: keep as is
StandIn = Callable[[str, dict[str, Any], Path], dict[str, Any] | None]

STANDINS: dict[str, StandIn] = {}


def register_standin(backend_type: str, fn: StandIn) -> None:
    STANDINS[backend_type] = fn


def _seed(name: str) -> int:
    """A per-backend seed: two experts of one family give different random answers."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:6], 16)


def _model_name(spec: dict[str, Any]) -> str:
    return str(spec.get("model", "")).lower()


def _keep(spec: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: spec[k] for k in keys if k in spec}


def _chat(name: str, spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Any chat backend (openai, transformers, vllm) -> the tiny in-process LLaVA."""
    from mmrecipe.testing.tiny_models import build_tiny_llava

    path = folder / "tiny-llava"
    if not (path / "config.json").is_file():
        build_tiny_llava(path)
    return {"type": "transformers", "model": str(path), "device": "cpu", "batch_size": 8}


def _expert(
    family_of: Callable[[dict[str, Any]], str], keep: tuple[str, ...], extra: dict[str, Any]
) -> StandIn:
    def make(name: str, spec: dict[str, Any], folder: Path) -> dict[str, Any]:
        from mmrecipe.testing.tiny_experts import build_tiny

        family = family_of(spec)
        path = build_tiny(family, folder / f"{name}-{family}", seed=_seed(name))
        return {
            "type": spec["type"],
            "model": str(path),
            "device": "cpu",
            **_keep(spec, *keep),
            **extra,
        }

    return make


def _detector_family(spec: dict[str, Any]) -> str:
    name = _model_name(spec)
    if "grounding" in name:
        return "grounding_dino"
    return "detr" if "detr" in name else "owlv2"


def _dual_family(spec: dict[str, Any]) -> str:
    return "siglip" if "siglip" in _model_name(spec) else "clip"


def _tagger_family(spec: dict[str, Any]) -> str:
    """Zero-shot (CLIP/SigLIP) when the recipe names tags or a dual-encoder model (which then
    tags over the open vocabulary); a multi-label classifier otherwise."""
    name = _model_name(spec)
    if spec.get("tags") or spec.get("tags_file") or "clip" in name or "siglip" in name:
        return _dual_family(spec)
    return "classifier"


def _image_to_text_family(spec: dict[str, Any]) -> str:
    if "florence" in _model_name(spec):
        return "florence2"
    if "blip2" in _model_name(spec) or "blip-2" in _model_name(spec):
        return "blip2"
    if spec.get("kind") == "ocr" or "ocr" in _model_name(spec):
        return "trocr"
    return "blip"


def _as_is(name: str, spec: dict[str, Any], folder: Path) -> None:
    """Runs offline as declared (a local engine, no model download)."""
    return None


register_standin("tesseract", _as_is)  # a local OCR engine: no stand-in needed
register_standin("openai", _chat)
register_standin("transformers", _chat)
register_standin("vllm", _chat)
register_standin("auto", _chat)  # vllm or transformers, chosen at run time: both are chat
# random tiny detectors score low: threshold 0 so every step downstream sees boxes
register_standin(
    "detector",
    _expert(
        _detector_family, ("labels", "max_detections"), {"threshold": 0.0, "max_detections": 5}
    ),
)
register_standin(
    "segmenter",
    _expert(lambda s: "sam", ("max_regions",), {"points_per_side": 4, "pred_iou_threshold": 0.0}),
)
register_standin(
    "tagger",
    _expert(
        _tagger_family,
        ("tags", "tags_file", "prompt_template", "top_k", "vocabulary"),
        {"threshold": 0.0},
    ),
)
register_standin("embedder", _expert(_dual_family, (), {}))
register_standin(
    "image_to_text",
    _expert(_image_to_text_family, ("kind", "prompt"), {"min_new_tokens": 3, "max_new_tokens": 12}),
)


def standin_overrides(recipe_path: Path, folder: Path) -> list[str]:
    """Build stand-ins for the recipe's backends under ``folder``; the ``--set`` values."""
    from mmrecipe.recipe import load_recipe

    recipe = load_recipe(recipe_path)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, spec in recipe.backends.items():
        if "same_as" in spec:  # an alias shares its target's model: the target's stand-in
            continue
        kind = spec.get("type")
        if kind not in STANDINS:
            known = ", ".join(sorted(STANDINS))
            raise ConfigError(
                f"backend {name!r}: no tiny stand-in for type {kind!r} (known: {known}); "
                "register one with mmrecipe.testing.standins.register_standin"
            )
        replacement = STANDINS[kind](name, dict(spec), folder)
        if replacement is not None:
            value = json.dumps(replacement, separators=(",", ":"))
            if any(ch.isspace() for ch in value):
                raise ConfigError(
                    f"the stand-in folder {folder} has a space in its path; choose another"
                )
            out.append(f"backends.{name}={value}")
    return out


# image generation (diffusers, openai_images): tiny diffusers pipelines of the same task
from mmrecipe.testing.imagegen_standins import diffusion_standin  # noqa: E402

register_standin("diffusers", diffusion_standin)
register_standin("openai_images", diffusion_standin)
