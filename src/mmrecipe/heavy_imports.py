"""Importing heavy libraries lazily from worker threads, one import at a time.

Generators and ops import OpenCV, matplotlib, torch or spaCy on first use, and a run calls
them from several shard threads at once. Python's per-module import lock does not protect a
package whose ``__init__`` re-imports itself: ``cv2`` swaps its native module in during start-up,
so a second thread can get a half-made ``cv2`` (``module 'cv2' has no attribute 'data'``; the
README's quickstart crashed 4 times in 12 on a fresh machine). Every lazy import of such a
library goes through :func:`import_heavy`, which holds one process-wide lock for the import.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType

_LOCK = threading.RLock()


def import_heavy(name: str) -> ModuleType:
    """``importlib.import_module(name)``, serialized with every other heavy import (cheap once
    the module is imported: an uncontended lock and a dict lookup)."""
    with _LOCK:
        return importlib.import_module(name)
