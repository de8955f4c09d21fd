"""Which video decoder mmrecipe uses, by measurement: PyAV vs decord vs OpenCV on this machine.

    python benchmarks/video_decoders.py [--clips 3] [--seconds 10]

Generates ``clips`` H.264 clips (854x480, 30 fps, a shot cut half way) and, per decoder,
times (1) decoding every frame to RGB and (2) sampling 8 uniform frames by seeking. Prints a
table of frames/s and the ratio to PyAV. torchcodec is reported as not loadable when its
wheel cannot find FFmpeg's shared libraries (it does not bundle them).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mmrecipe.testing.videos import moving_shapes


def pyav_all(path: Path) -> int:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        return sum(1 for f in c.decode(s) if f.to_ndarray(format="rgb24") is not None)


def pyav_uniform(path: Path, n: int = 8) -> int:
    from mmrecipe.video.decode import VideoLimits, probe, read_frames_at, uniform_times

    info = probe(path, VideoLimits())
    return len(read_frames_at(path, uniform_times(info.duration, n)))


def decord_all(path: Path) -> int:
    import decord

    vr = decord.VideoReader(str(path), num_threads=0)
    count = 0
    for _ in range(len(vr)):
        count += vr.next().asnumpy() is not None  # sequential: no per-frame seek
    return count


def decord_uniform(path: Path, n: int = 8) -> int:
    import decord

    vr = decord.VideoReader(str(path), num_threads=0)
    idx = np.linspace(0, len(vr) - 1, n).round().astype(int).tolist()
    return len(vr.get_batch(idx).asnumpy())


def cv2_all(path: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        count += cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) is not None
    cap.release()
    return count


def cv2_uniform(path: Path, n: int = 8) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    count = 0
    for i in np.linspace(0, total - 1, n).round().astype(int):
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
        ok, _ = cap.read()
        count += ok
    cap.release()
    return count


def timed(fn: Callable[[Path], int], paths: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    frames = sum(fn(p) for p in paths)
    return time.perf_counter() - start, frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [
            moving_shapes(
                Path(tmp) / f"c{i}.mp4",
                seconds=args.seconds,
                fps=30,
                size=(854, 480),
                cut_at=args.seconds / 2,
                speed=3 + i,
            )
            for i in range(args.clips)
        ]
        rows = []
        for name, full, uniform in (
            ("pyav", pyav_all, pyav_uniform),
            ("decord", decord_all, decord_uniform),
            ("opencv", cv2_all, cv2_uniform),
        ):
            try:
                t_all, n_all = timed(full, paths)
                t_uni, n_uni = timed(uniform, paths)
            except Exception as exc:  # a decoder that is not installed or does not load
                rows.append((name, None, None, f"{type(exc).__name__}: {str(exc)[:60]}"))
                continue
            rows.append((name, n_all / t_all, n_uni / t_uni, f"{n_all} / {n_uni} frames"))
        try:
            from torchcodec.decoders import VideoDecoder  # noqa: F401
        except Exception as exc:
            rows.append(("torchcodec", None, None, f"not loadable: {type(exc).__name__}"))
        base = rows[0][1] or 1.0
        print(f"{args.clips} clips, {args.seconds:g} s, 854x480 H.264 30 fps")
        print(f"{'decoder':<11} {'all frames/s':>13} {'ratio':>6} {'uniform-8 frames/s':>19}  note")
        for name, fps_all, fps_uni, note in rows:
            if fps_all is None:
                print(f"{name:<11} {'-':>13} {'-':>6} {'-':>19}  {note}")
            else:
                print(
                    f"{name:<11} {fps_all:>13.0f} {fps_all / base:>6.2f} {fps_uni:>19.1f}  {note}"
                )


if __name__ == "__main__":
    main()
