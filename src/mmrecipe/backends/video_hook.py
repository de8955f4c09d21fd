"""Oasis on video: which backends can be hooked with a video, checked before anything runs.

The hook is the model family's pre-query prefix with its VIDEO placeholder in place of the
image one (``backends/video_input.py`` ``VIDEO_HOOK_SEGMENTS``): Qwen2-VL / Qwen2.5-VL /
Qwen3-VL's ``<|vision_start|><|video_pad|><|vision_end|>``. Over HTTP, vLLM renders it from a
video part with ``continue_final_message``; SGLang takes the prefix and ``video_data``. A
family without a video placeholder, an in-process engine (its video hook is not written) or a
server that gets frames instead of video parts is refused with one line.
"""

from __future__ import annotations

from typing import Any

from mmrecipe.errors import ConfigError


def check_video_hook(backend: Any, step: str) -> None:
    """Raise ConfigError unless ``backend`` can hook with a video."""
    from mmrecipe.backends.hooking import known_family
    from mmrecipe.backends.video_input import video_hook_prefix

    inner = getattr(backend, "inner", backend)  # the cache wraps the real backend
    if getattr(inner, "video_input", None) != "video_url":
        raise ConfigError(
            f"step {step!r}: hooking with a video needs an openai backend on a vLLM or SGLang "
            "server sending video parts (video_input: video_url); in-process engines and "
            "frame-only servers cannot hook on video"
        )
    family = known_family(inner.model)
    try:
        video_hook_prefix(inner.model, family.tail if family else "")
    except Exception as exc:
        raise ConfigError(f"step {step!r}: {exc}") from None
