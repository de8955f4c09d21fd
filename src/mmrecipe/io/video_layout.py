"""Videos in trainer formats: the ``<video>`` placeholder and where each trainer wants it.

* LLaMA-Factory (``src/llamafactory/data/mm_plugin.py``, ``VIDEO_PLACEHOLDER = "<video>"``;
  ``_validate_input`` counts them against the ``videos`` column, as for images) and TRL/HF chat
  templates (``{"type": "video"}`` parts) take one ``<video>`` per video, in user turns.
* LLaVA-NeXT / OneVision (LLaVA-VL/LLaVA-NeXT ``llava/train/train.py``,
  ``LazySupervisedDataset._get_item``): a record with an ``image`` key is an image record (the
  ``"image" in sources[0]`` test comes first), else ``video`` is ONE path string joined to
  ``--video_folder``; the frames are marked in the text by the image token ``<image>``
  (``DEFAULT_IMAGE_TOKEN``), which ``preprocess_multimodal`` moves to the start of the turn.

:func:`place_videos` makes the placeholders match the videos (a sample with none gets them at
the start of its first user turn) or raises :class:`LeftOut`.
"""

from __future__ import annotations

from typing import Any

from mmrecipe.io.layout import LeftOut

VIDEO_TOKEN = "<video>"


def place_videos(messages: list[dict[str, str]], n_videos: int) -> list[dict[str, str]]:
    """Messages with exactly one ``<video>`` per video, all in user turns."""
    found = sum(m["content"].count(VIDEO_TOKEN) for m in messages)
    if any(m["role"] != "user" and VIDEO_TOKEN in m["content"] for m in messages):
        raise LeftOut("assistant_video", "a <video> placeholder outside a user turn")
    if found == n_videos:
        return messages
    if found == 0:
        out = [dict(m) for m in messages]
        first = next(i for i, m in enumerate(out) if m["role"] == "user")
        lead = "\n".join([VIDEO_TOKEN] * n_videos)
        out[first]["content"] = (
            f"{lead}\n{out[first]['content']}" if out[first]["content"] else lead
        )
        return out
    raise LeftOut("video_placeholder_mismatch", f"{found} <video> for {n_videos} video(s)")


def video_list(value: Any) -> list[str]:
    """``video``/``videos`` as a list of paths (absent or empty: none)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"video is {type(value).__name__}, not a path or a list of paths")


def video_refs(paths: list[str], root: Any) -> list[Any]:
    """References to the videos a record names, each confined to the dataset root."""
    from mmrecipe.io.base import resolve_image
    from mmrecipe.sample import VideoRef

    return [VideoRef(path=resolve_image(p, root)) for p in paths]
