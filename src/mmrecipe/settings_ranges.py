"""Ranges every numeric setting of a recipe must respect, whatever declared it.

Typed schemas check what they declare (``ge=1``), but a float field takes ``.inf`` or ``1e300``
and an op's or a backend's ``int`` takes ``-1`` or ``10**20``; each then fails later, once per
record (``OverflowError`` in a timer, a negative byte cap). This walks the whole recipe
(``input``, ``executor``, ``backends``, every step's params) before anything runs and refuses,
in one line naming the key:

- a number that is not finite (``.inf``, ``.nan``) or larger than :data:`LIMIT` in size;
- a duration (a key ending in ``_s``, or naming a ``timeout``) outside 0 .. one week;
- a negative count, size or cap (``*_bytes``, ``*_size``, ``concurrency``, ``*_workers``,
  ``*_threads``, ``*_retries``, ...), and a parallelism over :data:`MAX_PARALLEL`.
"""

from __future__ import annotations

import math
from typing import Any

from mmrecipe.errors import ConfigError

#: no setting is meaningfully larger (bytes, samples, pixels): 10**15
LIMIT = 10**15
#: the longest duration a setting may name (a week, in seconds)
MAX_SECONDS = 7 * 24 * 3600
#: threads, requests or actors at once
MAX_PARALLEL = 100_000
_COUNT_SUFFIXES = (
    "_bytes",
    "_size",
    "_retries",
    "_pixels",
    "_tokens",
    "_chars",
    "_count",
)
_PARALLEL = ("concurrency", "_workers", "_threads", "_in_flight", "actors", "workers", "threads")
#: depth past which a recipe value is not walked (the YAML loader caps depth far below)
_MAX_DEPTH = 100


def check_recipe_numbers(recipe: Any) -> None:
    """Raise ConfigError for the first numeric setting of ``recipe`` out of its range."""
    check_numbers(recipe.input.model_dump(), ("input",))
    check_numbers(recipe.executor.model_dump(), ("executor",))
    check_numbers(recipe.backends, ("backends",))
    for index, spec in enumerate(recipe.ops):
        check_numbers(spec.params, ("ops", index), shown=f"ops.{spec.name}")


def check_numbers(data: Any, key: tuple[str | int, ...], shown: str | None = None) -> None:
    """Check every number under ``data``; ``key`` locates it in the recipe for the error."""
    _walk(data, key, shown or ".".join(map(str, key)), "", 0)


def _walk(data: Any, key: tuple[str | int, ...], shown: str, name: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            _walk(v, (*key, str(k)), f"{shown}.{k}", str(k).lower(), depth + 1)
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            _walk(v, (*key, i), f"{shown}[{i}]", name, depth + 1)
    elif isinstance(data, int | float) and not isinstance(data, bool):
        problem = _problem(data, name)
        if problem:
            raise ConfigError(f"{shown}: {problem}", key=key)


def _problem(value: float, name: str) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number"
    if abs(value) > LIMIT and "seed" not in name:
        return f"{value:g} is out of range (at most {LIMIT:.0e} in size)"
    if name.endswith("_s") or "timeout" in name:
        if not 0 <= value <= MAX_SECONDS:
            return f"{value:g} seconds is out of range (0 to {MAX_SECONDS}, a week)"
    elif name.endswith(_PARALLEL):
        if not 0 <= value <= MAX_PARALLEL:
            return f"{value:g} is out of range (0 to {MAX_PARALLEL})"
    elif name.endswith(_COUNT_SUFFIXES) and value < 0:
        return f"{value:g} is negative; a count, size or cap is 0 or more"
    return None
