"""Sample frames from each video: uniform N, fixed fps, per-shot keyframes, or seeded random
per segment; deterministic, written once under the run dir with their timestamps."""

from __future__ import annotations

import hashlib
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample, VideoRef
from mmrecipe.video.decode import VideoRejected, read_frames_at, uniform_times
from mmrecipe.video.frames import frame_folder, frames_as_images, write_frame


@register_op("sample_frames")
class SampleFrames(MapOp):
    """Pick frame times per video, decode only those frames (seeking, one frame in memory at a
    time), write each as a JPEG under ``RUN_DIR/images/frames/<video sha256>/`` (a frame
    already there is not written again) and record ``{"path", "t", "index", "sha256"}`` in
    the video reference's ``frames``. Same video and settings, same frames.

    Modes: ``uniform``: ``num_frames`` at the centres of equal segments (LLaVA-Video's uniform
    sampling); ``fps``: one frame every ``1/fps`` s, at most ``max_frames`` (spread evenly when
    more); ``shots``: PySceneDetect shots, ``frames_per_shot`` at the centres of equal parts of
    each shot (keyframes of ShareGPT4Video-style differential captioning), shot bounds kept in
    ``videos[].shots``; ``random``: one seeded random time per uniform segment (the seed and
    the video's sha256 fix it).

    ``as_images``: the frames become the sample's images, each ``<video>`` placeholder
    becoming one ``<image>`` per frame (for image-only models and frame-taking trainers); the
    video references move to ``fields.source_videos`` (path and frame times), so no model or
    writer gets the same content twice.

    Rejects: ``undecodable`` (a frame could not be decoded), ``no_frames``.

    Args:
        mode: how frame times are chosen (see above)
        num_frames: frames per video (uniform, random)
        fps: frames per second (fps mode)
        max_frames: most frames per video (fps and shots modes)
        frames_per_shot: frames per shot (shots mode)
        shot_threshold: PySceneDetect ContentDetector threshold (shots mode; its default 27)
        min_shot_seconds: shortest shot (shots mode)
        max_side: frames are written with their longest side at most this (None: as decoded)
        jpeg_quality: JPEG quality of the written frames
        seed: random mode's seed
        as_images: also put the frames in ``images`` (see above)
    """

    reads = ("videos",)
    writes = ("videos",)

    def __init__(
        self,
        mode: Literal["uniform", "fps", "shots", "random"] = "uniform",
        num_frames: int = 8,
        fps: float = 1.0,
        max_frames: int = 32,
        frames_per_shot: int = 1,
        shot_threshold: float = 27.0,
        min_shot_seconds: float = 0.5,
        max_side: int | None = 768,
        jpeg_quality: int = 92,
        seed: int = 0,
        as_images: bool = False,
    ) -> None:
        if num_frames < 1 or max_frames < 1 or frames_per_shot < 1:
            raise ConfigError("sample_frames: num_frames, max_frames, frames_per_shot must be >= 1")
        if fps <= 0:
            raise ConfigError("sample_frames: fps must be > 0")
        if not 1 <= jpeg_quality <= 100:
            raise ConfigError("sample_frames: jpeg_quality must be in 1..100")
        self.mode = mode
        self.num_frames = num_frames
        self.fps = fps
        self.max_frames = max_frames
        self.frames_per_shot = frames_per_shot
        self.shot_threshold = shot_threshold
        self.min_shot_seconds = min_shot_seconds
        self.max_side = max_side
        self.jpeg_quality = jpeg_quality
        self.seed = seed
        self.as_images = as_images
        self._writer: ThreadPoolExecutor | None = None
        if as_images:
            self.writes = ("videos", "images", "messages", "fields.source_videos")

    def times(self, ref: VideoRef) -> list[float]:
        """The frame times for one video (its duration and sha256 from intake)."""
        duration = float(ref.duration or 0.0)
        if self.mode == "uniform":
            return uniform_times(duration, self.num_frames)
        if self.mode == "random":
            key = f"{self.seed}\x1f{ref.sha256 or ref.path}".encode()
            rng = random.Random(hashlib.sha256(key).digest())
            step = duration / self.num_frames
            return [round((i + rng.random()) * step, 6) for i in range(self.num_frames)]
        if self.mode == "fps":
            count = max(1, int(duration * self.fps))
            times = [round((i + 0.5) / self.fps, 6) for i in range(count)]
            times = [t for t in times if t < duration] or [round(duration / 2, 6)]
            if len(times) > self.max_frames:
                picks = uniform_times(len(times), self.max_frames)
                times = [times[min(len(times) - 1, int(p))] for p in picks]
            return times
        from mmrecipe.video.shots import detect_shots

        ref.shots = detect_shots(ref.path, self.shot_threshold, self.min_shot_seconds)
        times = []
        for start, end in ref.shots:
            times += [start + t for t in uniform_times(end - start, self.frames_per_shot)]
        if len(times) > self.max_frames:
            picks = uniform_times(len(times), self.max_frames)
            times = [times[min(len(times) - 1, int(p))] for p in picks]
        return [round(t, 6) for t in times]

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None
        root = self.ctx.image_dir / "frames"
        for sample in samples:
            if sample.rejected:
                continue
            try:
                for ref in sample.videos:
                    ref.frames = self._frames(ref, root)
            except VideoRejected as exc:
                sample.reject(self.name, exc.reason, exc.detail)
                continue
            if any(not ref.frames for ref in sample.videos):
                sample.reject(self.name, "no_frames", "no frame could be sampled")
                continue
            if self.as_images and sample.videos:
                frames_as_images(sample)
                sample.fields["source_videos"] = [
                    {"path": v.path, "sha256": v.sha256, "frame_times": [f["t"] for f in v.frames]}
                    for v in sample.videos
                ]
                sample.videos = []
        return samples

    def _frames(self, ref: VideoRef, root: Path) -> list[dict[str, object]]:
        fps = float(ref.fps or 0.0)
        folder = frame_folder(root, ref)
        seen: set[int] = set()
        # JPEG encoding (PIL) and decoding (FFmpeg) both release the GIL: frames are written
        # in a second thread while the next ones decode (one long-lived thread per op: a new
        # thread per video would leave glibc arenas behind)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmrecipe-frames")
        pending = []
        for t, array in read_frames_at(ref.path, self.times(ref), self.max_side):
            index = round(t * fps) if fps else len(pending)
            if index in seen:  # two times fell on one frame: keep it once
                continue
            seen.add(index)
            pending.append(
                self._writer.submit(
                    write_frame, array, folder, index, t, self.max_side, self.jpeg_quality
                )
            )
        return [f.result() for f in pending]

    def teardown(self) -> None:
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None
