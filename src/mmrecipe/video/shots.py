"""Shot boundaries with PySceneDetect's ContentDetector (HSV change between frames), reading
through its PyAV backend so the decoder is the one intake checked. Frames are streamed and
downscaled by PySceneDetect: memory does not grow with the video."""

from __future__ import annotations

from pathlib import Path


def detect_shots(
    path: str | Path, threshold: float = 27.0, min_shot_seconds: float = 0.5
) -> list[list[float]]:
    """``[[start_s, end_s], ...]`` covering the video; one shot when no cut is found."""
    import logging

    from scenedetect import ContentDetector, SceneManager, open_video

    logging.getLogger("pyscenedetect").setLevel(logging.ERROR)
    video = open_video(str(path), backend="pyav")
    fps = float(video.frame_rate) or 25.0
    manager = SceneManager()
    manager.add_detector(
        ContentDetector(threshold=threshold, min_scene_len=max(1, round(min_shot_seconds * fps)))
    )
    manager.detect_scenes(video=video, show_progress=False)
    scenes = manager.get_scene_list(start_in_scene=True)
    shots = [[round(start.seconds, 6), round(end.seconds, 6)] for start, end in scenes]
    if not shots:
        duration = float(video.duration.seconds) if video.duration else 0.0
        shots = [[0.0, round(duration, 6)]]
    return shots
