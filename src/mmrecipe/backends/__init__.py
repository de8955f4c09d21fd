"""Model backends: one protocol (``mmrecipe.backends.base``), one module per engine.

``build_backend`` turns a recipe's ``backends:`` entry into a backend, wrapping it in the run's
request cache unless ``--no-cache`` was given.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mmrecipe.backends.base import Backend, ChatRequest, Generation, SamplingParams, require
from mmrecipe.errors import ConfigError

if TYPE_CHECKING:
    from mmrecipe.context import OpContext

__all__ = ["Backend", "ChatRequest", "Generation", "SamplingParams", "build_backend", "require"]

#: backend type -> "module:Class", imported lazily so the core never imports torch or vllm
BACKEND_TYPES: dict[str, str] = {
    "openai": "mmrecipe.backends.openai:OpenAIBackend",
    "transformers": "mmrecipe.backends.transformers:TransformersBackend",
    "vllm": "mmrecipe.backends.vllm:VLLMBackend",
    # vllm when installed with a GPU visible, else transformers (chosen at run time)
    "auto": "mmrecipe.backends.auto:build",
}


def build_backend(name: str, spec: dict[str, Any], ctx: OpContext | None = None) -> Backend:
    """Build the backend ``name`` from its recipe spec (``type`` picks the engine)."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in BACKEND_TYPES:
        raise ConfigError(
            f"backend {name!r}: type must be one of {', '.join(BACKEND_TYPES)}, got {kind!r}"
        )
    module_name, _, cls_name = BACKEND_TYPES[kind].partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    backend: Backend = cls(name=name, **spec)
    if ctx is not None and ctx.use_cache and ctx.state is not None:
        from mmrecipe.backends.cache import CachedBackend

        backend = CachedBackend(backend, ctx.state)
    return backend
