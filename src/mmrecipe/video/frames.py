"""Frames written once under the run dir, content-addressed by video and frame number."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from mmrecipe.sample import VideoRef


def frame_folder(root: Path, ref: VideoRef) -> Path:
    folder = root / (ref.sha256 or hashlib.sha256(ref.path.encode()).hexdigest())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_frame(
    array: np.ndarray, folder: Path, index: int, t: float, side: int | None, quality: int
) -> dict[str, Any]:
    """Save ``array`` as ``f<index>-<side>-q<quality>.jpg`` unless it is already there (same
    video, frame and settings: same pixels); returns the frame record."""
    from PIL import Image

    target = folder / f"f{index:07d}-{side or 0}-q{quality}.jpg"
    if target.exists():
        data = target.read_bytes()
    else:
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, "JPEG", quality=quality)
        data = buf.getvalue()
        tmp = target.with_name(target.name + f".tmp{os.getpid()}-{threading.get_ident()}")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    sha = hashlib.sha256(data).hexdigest()
    return {"path": str(target), "t": round(t, 6), "index": index, "sha256": sha}
