"""Probing and frame access with PyAV (FFmpeg), chosen by measurement (README, video section).

Nothing here decodes a whole video into memory: :func:`probe` reads the container header and
decodes one frame near the start and one near the end (a truncated upload fails there);
:func:`read_frames_at` seeks to each wanted time and decodes forward to it, holding one frame
at a time; :func:`iter_frames` streams. Every failure is a :class:`VideoRejected` with the
reason intake records.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class VideoRejected(Exception):
    """A video intake refuses: ``reason`` is counted, ``detail`` says what was found."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class VideoLimits:
    max_file_bytes: int = 4 * 1024**3
    min_seconds: float = 0.5
    max_seconds: float = 3 * 3600.0
    min_fps: float = 1.0
    max_fps: float = 240.0
    min_side: int = 16
    max_side: int = 8192


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    fps: float
    frame_count: int
    width: int
    height: int
    codec: str


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """The file's SHA-256 in 1 MiB reads (a 1 GB video costs 1 MiB of memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def mp4_truncated(path: str | Path, size: int) -> bool:
    """Whether an ISO-BMFF (MP4/MOV) file's top-level boxes run past its end: an upload cut
    short. Reads 16 bytes per box; other containers answer False."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8 or head[4:8] != b"ftyp":
            return False
        offset = 0
        while offset < size:
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                return True
            box = struct.unpack(">I", header[:4])[0]
            if box == 1 and len(header) >= 16:
                box = struct.unpack(">Q", header[8:16])[0]
            elif box == 0:  # the box runs to the end of the file
                return False
            if box < 8:
                return True
            offset += box
        return offset > size


def _open(path: str | Path):  # type: ignore[no-untyped-def]
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoRejected("undecodable", f"FFmpeg cannot open it: {_short(exc)}") from None


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def probe(path: str | Path, limits: VideoLimits) -> VideoInfo:
    """The video's header facts, checked against ``limits``; a frame decoded at the start and
    one near the end prove the file is whole. Raises VideoRejected."""
    import av

    size = os.path.getsize(path)
    if size == 0:
        raise VideoRejected("zero_length", "the file is empty")
    if size > limits.max_file_bytes:
        raise VideoRejected("file_too_large", f"{size} bytes > max_file_bytes")
    if mp4_truncated(path, size):
        raise VideoRejected("truncated", "its MP4 boxes run past the end of the file")
    with _open(path) as container:
        if not container.streams.video:
            raise VideoRejected("no_video_stream", "the container holds no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        width, height = int(ctx.width or 0), int(ctx.height or 0)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        frames = int(stream.frames or 0) or round(duration * fps)
        codec = ctx.name or "unknown"
        if not (limits.min_fps <= fps <= limits.max_fps):
            raise VideoRejected(
                "bad_fps", f"{fps:g} fps outside {limits.min_fps}..{limits.max_fps}"
            )
        if min(width, height) < limits.min_side or max(width, height) > limits.max_side:
            raise VideoRejected(
                "bad_size", f"{width}x{height} outside {limits.min_side}..{limits.max_side} px"
            )
        if duration <= 0:
            raise VideoRejected("zero_length", "the container reports no duration")
        if duration < limits.min_seconds:
            raise VideoRejected("too_short", f"{duration:.2f} s < min_seconds {limits.min_seconds}")
        if duration > limits.max_seconds:
            raise VideoRejected("too_long", f"{duration:.1f} s > max_seconds {limits.max_seconds}")
        try:
            first = next(_decode_from(container, stream, 0.0), None)
            if first is None:
                raise VideoRejected("undecodable", "no frame could be decoded")
            last = next(_decode_from(container, stream, max(0.0, duration - 1.0)), None)
        except av.FFmpegError as exc:
            raise VideoRejected("undecodable", f"decoding failed: {_short(exc)}") from None
        if last is None or last[0] < duration - 1.0 - 2.0 / max(fps, 1.0):
            seen = 0.0 if last is None else last[0]
            raise VideoRejected(
                "truncated", f"frames stop at {seen:.2f} s of the {duration:.2f} s announced"
            )
    return VideoInfo(duration, fps, frames, width, height, codec)


def _decode_from(container, stream, t: float, seek: bool = True) -> Iterator[tuple[float, object]]:  # type: ignore[no-untyped-def]
    """Frames from the last keyframe before ``t`` onwards (from the current position when
    ``seek`` is False), as (time, av.VideoFrame), the first one yielded being the first at or
    after ``t``."""
    if seek and stream.time_base is not None:
        container.seek(int(t / stream.time_base), stream=stream, backward=True, any_frame=False)
    for frame in container.decode(stream):
        if frame.pts is None or frame.time is None:
            continue
        if frame.time + 1e-6 >= t:
            yield float(frame.time), frame


def read_frames_at(
    path: str | Path, times: list[float], max_side: int | None = None
) -> list[tuple[float, np.ndarray]]:
    """RGB frames at (the first frame at or after) each of ``times``, sorted; a time past the
    last frame gives the last frame. Decodes forward when the next time is close, else seeks."""
    import av

    wanted = sorted(times)
    out: list[tuple[float, np.ndarray]] = []
    if not wanted:
        return out
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames: Iterator[tuple[float, object]] | None = None
        current: tuple[float, object] | None = None
        try:
            for t in wanted:
                if current is not None and current[0] + 1e-6 >= t:
                    out.append((current[0], _rgb(current[1], max_side)))
                    continue
                if frames is None:  # a fresh container is at the start: no seek near it
                    frames = _decode_from(container, stream, t, seek=t > 2.0)
                elif current is None or t - current[0] > 2.0:
                    frames = _decode_from(container, stream, t)
                last = current
                for item in frames:
                    last = item
                    if item[0] + 1e-6 >= t:
                        break
                current = last
                if current is None:
                    break
                out.append((current[0], _rgb(current[1], max_side)))
        except av.FFmpegError as exc:
            raise VideoRejected("undecodable", f"decoding failed: {_short(exc)}") from None
    return out


def _rgb(frame: object, max_side: int | None) -> np.ndarray:
    width, height = frame.width, frame.height  # type: ignore[attr-defined]
    if max_side and max(width, height) > max_side:
        scale = max_side / max(width, height)
        width, height = max(2, round(width * scale)), max(2, round(height * scale))
        return frame.to_ndarray(format="rgb24", width=width, height=height)  # type: ignore[attr-defined]
    return frame.to_ndarray(format="rgb24")  # type: ignore[attr-defined]


def iter_frames(
    path: str | Path, every: int = 1, max_side: int | None = None
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Every ``every``-th frame as (index, time, RGB array), streamed: one frame in memory."""
    import av

    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for index, frame in enumerate(container.decode(stream)):
                if index % every == 0 and frame.time is not None:
                    yield index, float(frame.time), _rgb(frame, max_side)
        except av.FFmpegError as exc:
            raise VideoRejected("undecodable", f"decoding failed: {_short(exc)}") from None


def uniform_times(duration: float, n: int) -> list[float]:
    """``n`` times spread over the video: the centres of ``n`` equal segments."""
    if n <= 0 or duration <= 0:
        return []
    step = duration / n
    return [round((i + 0.5) * step, 6) for i in range(n)]
