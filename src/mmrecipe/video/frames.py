"""Frames written once under the run dir, content-addressed by video and frame number."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from mmrecipe.sample import ImageRef, Sample, VideoRef


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


VIDEO_TOKEN = "<video>"
IMAGE_TOKEN = "<image>"


def frames_as_images(sample: Sample) -> None:
    """Each video's frames appended to ``images``; each ``<video>`` placeholder (or, with none,
    the start of the first user turn) becomes one ``<image>`` per frame of its video."""
    groups = [
        [
            ImageRef(path=str(f["path"]), sha256=str(f.get("sha256")), format="JPEG")
            for f in v.frames
        ]
        for v in sample.videos
    ]
    tokens = [("\n".join([IMAGE_TOKEN] * len(g))) for g in groups]
    pending = list(tokens)
    placed = False
    for message in sample.messages:
        content = message.get("content")
        if isinstance(content, str) and VIDEO_TOKEN in content:
            pieces = content.split(VIDEO_TOKEN)
            text = pieces[0]
            for piece in pieces[1:]:
                text += (pending.pop(0) if pending else "") + piece
            message["content"] = text
            placed = True
    if not placed:
        user = next((m for m in sample.messages if m.get("role") == "user"), None)
        if user is not None and isinstance(user.get("content"), str):
            user["content"] = (
                "\n".join([*tokens, user["content"]]) if user["content"] else "\n".join(tokens)
            )
    sample.images.extend(ref for g in groups for ref in g)
