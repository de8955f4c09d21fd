"""Check every video of a sample before anything decodes it for real."""

from __future__ import annotations

import os
import stat
from typing import Literal

from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.stats import current_step_stats
from mmrecipe.video.decode import VideoLimits, VideoRejected, file_sha256, probe


@register_op("video_intake")
class VideoIntake(MapOp):
    """Reject unusable videos with one reason each; fill in each reference's facts (sha256,
    duration, fps, frame count, size, codec) from the container header.

    Readers have already confined every path to the dataset root (symlinks out, traversal,
    URLs: ``image_outside_root`` ...); intake re-checks that each file is a regular file (a
    FIFO would block the decoder) and never reads more than 1 MiB at a time: the hash is
    streamed, probing decodes one frame at the start and one near the end.

    Rejects: ``missing_file``, ``not_a_file``, ``zero_length``, ``file_too_large``,
    ``truncated`` (MP4 boxes past the end, or frames that stop early), ``undecodable``,
    ``no_video_stream``, ``bad_fps``, ``bad_size``, ``too_short``, ``too_long``, ``no_video``.

    Args:
        max_file_bytes: larger files are rejected before opening
        min_seconds: shorter videos are rejected
        max_seconds: longer videos are rejected
        min_fps: a frame rate below this is absurd (a broken header)
        max_fps: a frame rate above this is absurd
        min_side: shortest side allowed, in pixels
        max_side: longest side allowed, in pixels
        no_video: a sample with no video is rejected (``no_video``) or kept (counted as
            ``kept_without_video``: image samples in a mixed dataset)
    """

    reads = ("videos",)
    writes = ("videos",)

    def __init__(
        self,
        max_file_bytes: int = 4 * 1024**3,
        min_seconds: float = 0.5,
        max_seconds: float = 3 * 3600.0,
        min_fps: float = 1.0,
        max_fps: float = 240.0,
        min_side: int = 16,
        max_side: int = 8192,
        no_video: Literal["reject", "keep"] = "reject",
    ) -> None:
        self.no_video = no_video
        self.limits = VideoLimits(
            max_file_bytes=max_file_bytes,
            min_seconds=min_seconds,
            max_seconds=max_seconds,
            min_fps=min_fps,
            max_fps=max_fps,
            min_side=min_side,
            max_side=max_side,
        )

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            if not sample.videos:
                if self.no_video == "keep":
                    stats = current_step_stats.get()
                    if stats is not None:
                        stats.routed["kept_without_video"] += 1
                else:
                    sample.reject(self.name, "no_video", "sample has no video")
                continue
            for index, ref in enumerate(sample.videos):
                try:
                    _regular_file(ref.path)
                    info = probe(ref.path, self.limits)
                    ref.sha256 = file_sha256(ref.path)
                except VideoRejected as exc:
                    where = f"video {index}: " if len(sample.videos) > 1 else ""
                    sample.reject(self.name, exc.reason, where + exc.detail)
                    break
                except OSError as exc:
                    sample.reject(self.name, "unreadable_file", f"{exc.strerror or exc}")
                    break
                ref.duration = round(info.duration, 6)
                ref.fps = round(info.fps, 6)
                ref.frame_count = info.frame_count
                ref.width, ref.height, ref.codec = info.width, info.height, info.codec
                ref.size_bytes = os.path.getsize(ref.path)
        return samples


def _regular_file(path: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise VideoRejected("missing_file", "the file does not exist") from None
    if not stat.S_ISREG(st.st_mode):
        raise VideoRejected("not_a_file", "not a regular file (a FIFO or device would block)")
