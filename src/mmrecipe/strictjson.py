"""Strict JSON: no ``NaN``/``Infinity`` in anything mmrecipe writes.

Python's ``json`` writes ``-Infinity`` and ``NaN`` by default, which JSON does not have: a
trainer's loader, ``jq`` or a browser then refuses the whole file. Models and ops do produce
them (a ``-inf`` logprob of a masked token, an ``Infinity`` score of a division by zero), so
every record is cleaned before it is written: non-finite numbers become ``null``, and the sample
keeps a flag naming them (``trace.non_finite``), so the loss is visible, not silent.
"""

from __future__ import annotations

import json
import math
from typing import Any

from mmrecipe.sample import Sample

FLAG = "non_finite"


def finite(value: Any, path: str = "", found: list[str] | None = None) -> Any:
    """A copy of ``value`` with non-finite floats replaced by None (their paths in ``found``)."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        if found is not None:
            found.append(f"{path} = {value}")
        return None
    if isinstance(value, dict):
        return {k: finite(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def has_non_finite(value: Any) -> bool:
    """Whether any float inside is NaN or infinite (cheap check before copying)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(has_non_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_non_finite(v) for v in value)
    return False


def clean_sample(sample: Sample) -> Sample:
    """Replace non-finite numbers in a sample by None, in place, flagged in ``trace.non_finite``."""
    found: list[str] = []
    for part in ("fields", "scores", "trace", "messages"):
        value = getattr(sample, part)
        if has_non_finite(value):
            setattr(sample, part, finite(value, part, found))
    if found:
        flagged = sample.trace.get(FLAG)
        previous = list(flagged) if isinstance(flagged, list) else []
        sample.trace[FLAG] = previous + found
    return sample


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` that never writes NaN/Infinity (they become null)."""
    if has_non_finite(value):
        value = finite(value)
    return json.dumps(value, allow_nan=False, **kwargs)
