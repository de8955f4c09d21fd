"""What every expert backend shares: typed settings, device choice, image loading, batching.

Experts are not chat models: ops call their family's method (``detect``, ``segment``, ``tag``,
``embed_images``, ``describe``) with PIL images and get plain Python/numpy results back. The
model runs under a lock (one batch at a time per model) in the caller's thread; ops are CPU
ops, so the executor runs them in its thread pool and the event loop stays free.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pydantic

from mmrecipe.backends.inputs import RequestError, load_image
from mmrecipe.errors import BackendError, ConfigError
from mmrecipe.sample import ImageRef

T = TypeVar("T")


class ExpertSettings(pydantic.BaseModel):
    """Settings every expert type accepts (types add their own fields)."""

    model_config = pydantic.ConfigDict(extra="forbid", protected_namespaces=())

    #: a local folder, or a hub id already in the local cache
    model: str
    #: "auto" (CUDA when available), "cpu", "cuda", "cuda:N"
    device: str = "auto"
    #: "auto" (float16 on CUDA, float32 on CPU), "float32", "float16", "bfloat16"
    dtype: str = "auto"
    #: images per forward pass
    batch_size: int = pydantic.Field(default=16, ge=1)
    #: never reach the hub (the default: this is a batch tool)
    local_files_only: bool = True
    #: run the model repository's own code (only for models you trust)
    trust_remote_code: bool = False


class ExpertBackend:
    """Base of the expert backends: builds settings, resolves the device, loads once."""

    #: False although the model runs in this process: ``in_process`` tells the executor to stop
    #: pipelining I/O-bound (chat) steps in chunks; expert ops are CPU ops batched by
    #: ``executor.batch_size`` and must not switch that off for a recipe's HTTP chat steps
    in_process = False
    #: answers are not chat generations: the run's request cache does not wrap experts
    cacheable = False
    #: the backend type name in recipes
    type_name: ClassVar[str] = ""
    Settings: ClassVar[type[ExpertSettings]] = ExpertSettings

    def __init__(self, name: str, **spec: Any) -> None:
        try:
            self.settings = self.Settings(**spec)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in e['loc']) or '(settings)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(f"backend {name!r} (type {self.type_name}): {problems}") from None
        from mmrecipe.heavy_imports import import_heavy

        try:  # backends may be built from several threads: one heavy import at a time
            torch = import_heavy("torch")
            transformers = import_heavy("transformers")
        except ImportError as exc:
            raise BackendError(
                f"backend {name!r}: type {self.type_name!r} needs torch and transformers: "
                "pip install 'mmrecipe[hf]'"
            ) from exc
        self.name = name
        self.model = self.settings.model
        self._torch = torch
        self._transformers = transformers
        self._lock = threading.Lock()
        device = self.settings.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        dtype = self.settings.dtype
        if dtype == "auto":
            dtype = "float16" if device.startswith("cuda") else "float32"
        self.torch_dtype = getattr(torch, dtype)
        self.capabilities: frozenset[str] = frozenset()
        try:
            self._load()
        except (OSError, ValueError, KeyError) as exc:
            where = "folder" if Path(self.model).exists() else "model id (local cache only)"
            raise BackendError(
                f"backend {name!r}: cannot load {self.type_name} model {self.model!r} from its "
                f"{where}: {type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
            ) from exc

    # --- for subclasses ---------------------------------------------------------------------

    def _load(self) -> None:
        raise NotImplementedError

    def _load_kwargs(self) -> dict[str, Any]:
        return {
            "local_files_only": self.settings.local_files_only,
            "trust_remote_code": self.settings.trust_remote_code,
        }

    def _place(self, model: Any) -> Any:
        """Move a freshly loaded model to the device and dtype, in inference mode."""
        model = model.to(self.device)
        if self.torch_dtype != self._torch.float32:
            model = model.to(self.torch_dtype)
        return model.eval()

    def _inputs(self, batch: Any) -> Any:
        """Processor output on the device; floating tensors in the model's dtype."""
        batch = batch.to(self.device)
        if self.torch_dtype != self._torch.float32:
            for key, value in batch.items():
                if hasattr(value, "is_floating_point") and value.is_floating_point():
                    batch[key] = value.to(self.torch_dtype)
        return batch

    def batches(self, items: Sequence[T]) -> Iterator[Sequence[T]]:
        size = self.settings.batch_size
        for start in range(0, len(items), size):
            yield items[start : start + size]

    # --- shared -----------------------------------------------------------------------------

    @staticmethod
    def open_image(ref: ImageRef) -> Any:
        """An RGB PIL image, or RequestError saying why the file cannot be used."""
        return load_image(ref)

    def close(self) -> None:
        """Free the model (GPU memory) now rather than at garbage collection."""
        with self._lock:
            for attr in ("engine", "processor"):
                if hasattr(self, attr):
                    setattr(self, attr, None)
            if self.device.startswith("cuda"):
                self._torch.cuda.empty_cache()

    async def aclose(self) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.model!r}, device={self.device!r})"


def require_expert(backend: Any, capability: str, step: str) -> None:
    """Fail at setup when the recipe points an op at a backend of the wrong family."""
    caps = getattr(backend, "capabilities", frozenset())
    if capability not in caps:
        raise BackendError(
            f"step {step!r}: backend {backend.name!r} ({backend.model}) lacks {capability!r} "
            f"(it has: {', '.join(sorted(caps)) or 'nothing'}); see the expert backend types "
            "in the README"
        )


__all__ = ["ExpertBackend", "ExpertSettings", "RequestError", "require_expert"]
