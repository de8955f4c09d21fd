"""What an op gets in ``setup``: the run dir, the state store and the recipe's backends."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.state import StateStore


@dataclass
class OpContext:
    """Shared by all ops of one run (one worker)."""

    run_dir: Path
    state: StateStore | None = None
    #: named backend specs from the recipe's ``backends:`` section (picklable dicts)
    backend_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: False when the user passed ``--no-cache``
    use_cache: bool = True
    _backends: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def image_dir(self) -> Path:
        """Where ops write the images they produce (normalized or synthesized)."""
        path = self.run_dir / "images"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def backend(self, name: str) -> Any:
        """The backend named ``name`` in the recipe, built once and shared by the ops.

        ``name: {same_as: other}`` makes ``name`` the very same backend as ``other``: one
        in-process model loaded once serves both roles (``recipes/oasis-local.yaml``).
        """
        name = self.resolve(name)
        with self._lock:
            if name not in self._backends:
                if name not in self.backend_specs:
                    known = ", ".join(sorted(self.backend_specs)) or "none"
                    raise ConfigError(
                        f"backend {name!r} is not declared in the recipe's backends: (declared: {known})"
                    )
                from mmrecipe.backends import build_backend

                self._backends[name] = build_backend(name, self.backend_specs[name], self)
            return self._backends[name]

    def resolve(self, name: str) -> str:
        """The backend ``name`` stands for, following ``same_as`` (checked: declared, no loop)."""
        seen = [name]
        while isinstance(spec := self.backend_specs.get(name), dict) and "same_as" in spec:
            if set(spec) != {"same_as"}:
                raise ConfigError(
                    f"backend {name!r}: same_as names another backend and takes no other keys "
                    f"(got {', '.join(sorted(set(spec) - {'same_as'}))})"
                )
            name = str(spec["same_as"])
            if name in seen:
                raise ConfigError(
                    f"backends {' -> '.join([*seen, name])}: same_as goes in a circle"
                )
            if name not in self.backend_specs:
                raise ConfigError(
                    f"backend {seen[-1]!r}: same_as {name!r}, which the recipe does not declare"
                )
            seen.append(name)
        return name

    def has_in_process_backend(self) -> bool:
        """Whether a backend built so far runs its model in this process (vLLM, transformers)."""
        with self._lock:
            return any(getattr(b, "in_process", False) for b in self._backends.values())

    async def aclose(self) -> None:
        """Close the backends built during the run (inside the run's event loop)."""
        for backend in self._backends.values():
            close = getattr(backend, "aclose", None) or getattr(backend, "close", None)
            if close is not None:
                result = close()
                if hasattr(result, "__await__"):
                    await result
        self._backends.clear()
