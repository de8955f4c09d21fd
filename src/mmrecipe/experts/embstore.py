"""Embeddings stored compactly in the run dir: one float16 ``.npy`` file per (step, batch),
referenced from each sample as ``{"file": <relative path>, "row": i, "dim": d}``.

The file name is a hash of the batch's sample ids, so a redone shard rewrites the same file
(atomically) instead of leaving orphans, and a resumed run finds the vectors its kept samples
point to.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

EMBEDDINGS_DIR = "embeddings"


def write_vectors(
    run_dir: Path, step: str, kind: str, ids: Sequence[str], vectors: np.ndarray
) -> list[dict[str, Any]]:
    """Store ``vectors`` (one row per id) and return each row's reference."""
    digest = hashlib.sha1("\x1f".join(ids).encode("utf-8")).hexdigest()[:16]
    rel = Path(EMBEDDINGS_DIR) / step / f"{kind}-{digest}.npy"
    path = run_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        np.save(fh, np.asarray(vectors, dtype=np.float16))
    os.replace(tmp, path)
    dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
    return [{"file": rel.as_posix(), "row": i, "dim": dim} for i in range(len(ids))]


class VectorReader:
    """Reads referenced rows back (float32), keeping a few files memory-mapped."""

    def __init__(self, run_dir: Path, max_open: int = 16) -> None:
        self.run_dir = Path(run_dir)
        self.max_open = max_open
        self._open: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # one reader may serve several shards' threads

    def _file(self, rel: str) -> np.ndarray:
        with self._lock:
            return self._file_locked(rel)

    def _file_locked(self, rel: str) -> np.ndarray:
        if rel in self._open:
            self._open.move_to_end(rel)
            return self._open[rel]
        path = (self.run_dir / rel).resolve()
        if self.run_dir.resolve() not in path.parents:
            raise ValueError(f"embedding file {rel!r} is outside the run dir")
        array = np.load(path, mmap_mode="r")
        self._open[rel] = array
        if len(self._open) > self.max_open:
            self._open.popitem(last=False)
        return array

    def get(self, ref: Any) -> np.ndarray:
        """The vector a reference points to; ValueError when the reference is malformed."""
        if not isinstance(ref, dict) or "file" not in ref or "row" not in ref:
            raise ValueError(f"not an embedding reference: {ref!r}")
        try:
            return np.asarray(self._file(str(ref["file"]))[int(ref["row"])], dtype=np.float32)
        except (OSError, IndexError) as exc:
            raise ValueError(f"embedding {ref!r} cannot be read: {exc}") from None
