"""``type: auto``: one in-process engine chosen at run time, for a workstation with no server.

vLLM when it is installed and a CUDA GPU is visible (it batches and pages the KV cache far
better), else transformers (CPU, or a GPU without vLLM). The choice is made when the backend is
built, logged in one line, and kept on the backend as ``engine_name`` / ``engine_reason``; the
request cache keys on the engine's class, so answers from one engine are never served as the
other's. ``engine: vllm`` or ``engine: transformers`` forces one (and fails with the engine's
own install hint if it cannot load).

Recipe keys: ``model``, ``dtype``, ``hook_prefix``, ``trust_remote_code`` go to either engine;
``vllm: {...}`` and ``transformers: {...}`` hold each engine's own arguments (see
:class:`~mmrecipe.backends.vllm.VLLMBackend` and
:class:`~mmrecipe.backends.transformers.TransformersBackend`).
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any, Literal

import pydantic

from mmrecipe.errors import ConfigError

log = logging.getLogger(__name__)

Engine = Literal["vllm", "transformers"]


def choose_engine() -> tuple[Engine, str]:
    """The engine this machine should use, and why (for the log line)."""
    if importlib.util.find_spec("vllm") is None:
        return "transformers", "vLLM is not installed"
    try:
        import torch
    except ImportError:
        return "transformers", "torch is not installed"
    if not torch.cuda.is_available():
        return "transformers", "vLLM is installed but no CUDA GPU is visible"
    return "vllm", f"vLLM is installed and {torch.cuda.device_count()} CUDA GPU(s) are visible"


def build(
    name: str,
    model: str,
    engine: Literal["auto", "vllm", "transformers"] = "auto",
    dtype: str = "auto",
    hook_prefix: str | None = None,
    trust_remote_code: bool = False,
    vllm: dict[str, Any] | None = None,
    transformers: dict[str, Any] | None = None,
) -> Any:
    """Build the chosen in-process backend (the recipe's ``type: auto`` entry)."""
    if engine == "auto":
        chosen, why = choose_engine()
    elif engine in ("vllm", "transformers"):
        chosen, why = engine, "forced by engine:"
    else:
        raise ConfigError(
            f"backend {name!r}: engine must be auto, vllm or transformers, got {engine!r}"
        )
    common: dict[str, Any] = {
        "name": name,
        "model": model,
        "dtype": dtype,
        "hook_prefix": hook_prefix,
        "trust_remote_code": trust_remote_code,
    }
    log.info("backend %r: %s in process for %s (%s)", name, chosen, model, why)
    extra = (vllm if chosen == "vllm" else transformers) or {}
    try:
        if chosen == "vllm":
            from mmrecipe.backends.vllm import VLLMBackend

            backend: Any = VLLMBackend(**common, **extra)
        else:
            from mmrecipe.backends.transformers import TransformersBackend

            backend = TransformersBackend(**common, **extra)
    except TypeError as exc:  # an unknown key under vllm: / transformers:
        raise ConfigError(f"backends.{name}.{chosen}: {exc}") from None
    backend.engine_name = chosen
    backend.engine_reason = why
    return backend


class AutoBackend:
    """The recipe's ``type: auto``: building it builds the engine :func:`build` chooses (so
    the object a run gets is a ``VLLMBackend`` or a ``TransformersBackend``)."""

    class Settings(pydantic.BaseModel):
        """What a ``type: auto`` entry may hold (checked before anything runs)."""

        model_config = pydantic.ConfigDict(extra="forbid", strict=True)

        model: str
        engine: Literal["auto", "vllm", "transformers"] = "auto"
        dtype: str = "auto"
        hook_prefix: str | None = None
        trust_remote_code: bool = False
        vllm: dict[str, Any] | None = None
        transformers: dict[str, Any] | None = None

    def __new__(cls, name: str, **settings: Any) -> Any:
        return build(name, **settings)
