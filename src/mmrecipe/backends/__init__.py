# Model backends behind one protocol (openai, transformers, vllm, auto), the cache, hooking.
# Imported by context.py, executor/, cli/, ops, experts/, testing/; never imports ops or executor.
"""Model backends: one protocol (``mmrecipe.backends.base``), one module per engine.

``build_backend`` turns a recipe's ``backends:`` entry into a backend, wrapping it in the run's
request cache unless ``--no-cache`` was given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from mmrecipe.backends.base import Backend, ChatRequest, Generation, SamplingParams, require
from mmrecipe.backends.experts import EXPERT_TYPES
from mmrecipe.backends.imagegen import IMAGEGEN_TYPES

if TYPE_CHECKING:
    from mmrecipe.state import StateStore

__all__ = [
    "Backend",
    "ChatRequest",
    "Generation",
    "SamplingParams",
    "build_backend",
    "register_backend_type",
    "require",
]

#: backend type -> "module:Class", imported lazily so the core never imports torch or vllm
BACKEND_TYPES: dict[str, str] = {
    "openai": "mmrecipe.backends.openai:OpenAIBackend",
    "transformers": "mmrecipe.backends.transformers:TransformersBackend",
    "vllm": "mmrecipe.backends.vllm:VLLMBackend",
    "tesseract": "mmrecipe.backends.tesseract:TesseractBackend",
    # vllm when installed with a GPU visible, else transformers (chosen at run time)
    "auto": "mmrecipe.backends.auto:AutoBackend",
}
BACKEND_TYPES.update(EXPERT_TYPES)  # vision experts: detector, segmenter, tagger, ...
BACKEND_TYPES.update(IMAGEGEN_TYPES)  # image generation: diffusers, openai_images


def register_backend_type(kind: str, target: str) -> None:
    """Make ``type: kind`` build ``target`` ("module:Class"); see ``backends/settings.py``
    for how the class declares the settings it accepts."""
    BACKEND_TYPES[kind] = target


class CacheSetting(Protocol):
    """What ``build_backend`` reads of the run (an ``OpContext`` has both): whether to cache
    and where. A protocol, so this package never imports ``mmrecipe.context`` (which imports
    it)."""

    use_cache: bool
    state: StateStore | None


def build_backend(name: str, spec: dict[str, Any], ctx: CacheSetting | None = None) -> Backend:
    """Build the backend ``name`` from its recipe spec (``type`` picks the engine), after
    checking the spec against that type's settings schema."""
    from mmrecipe.backends.settings import check_backend_spec

    cls, settings = check_backend_spec(name, spec)
    backend: Backend = cls(name=name, **settings)
    # experts (OCR, detectors, ...) answer no chat requests: nothing to cache
    chat = hasattr(backend, "generate") and getattr(cls, "cacheable", True)
    if chat and ctx is not None and ctx.use_cache and ctx.state is not None:
        from mmrecipe.backends.cache import CachedBackend

        backend = CachedBackend(backend, ctx.state)
    return backend
