"""Generated test videos: moving shapes with a shot cut, static clips, a camera zoom, and the
broken files a video dataset holds (truncated, zero-length, not a video at all).

Written with PyAV (libx264 in its bundled FFmpeg), deterministic for given arguments, so tests
and recipe dry runs know what is in each clip: where the cut is, what moves and how.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _encode(path: Path, frames: list[np.ndarray] | object, fps: int, size: tuple[int, int]) -> Path:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        # deterministic bytes: one thread, no timestamps from the wall clock
        stream.codec_context.options = {"threads": "1", "preset": "veryfast"}
        stream.codec_context.thread_count = 1
        for array in frames:  # type: ignore[attr-defined]
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _canvas(size: tuple[int, int], color: tuple[int, int, int]) -> np.ndarray:
    width, height = size
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = color
    # a fixed, non-periodic texture (8 px blocks, seeded by the colour) so the background is
    # not flat: optical flow and frame hashes need structure, and a periodic one aliases
    rng = np.random.default_rng(sum(color))
    blocks = rng.random(((height + 7) // 8, (width + 7) // 8)) < 0.5
    mask = np.kron(blocks, np.ones((8, 8), dtype=bool))[:height, :width]
    canvas[mask] //= 2
    return canvas


def moving_shapes(
    path: Path,
    seconds: float = 4.0,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
    cut_at: float | None = 2.0,
    speed: int = 3,
    scene: int = 0,
) -> Path:
    """A square sliding right (``speed`` px per frame) on a checkered background; at
    ``cut_at`` seconds a hard cut to a different scene (another colour, a circle moving down).
    ``scene`` picks other background colours and textures: another video, not a copy."""
    width, height = size
    n = max(1, round(seconds * fps))
    cut = None if cut_at is None else round(cut_at * fps)
    first_bg, second_bg = (40, 90, 200), (200, 60, 60)
    if scene:
        rng = np.random.default_rng(scene)
        first_bg, second_bg = (tuple(int(v) for v in rng.integers(30, 220, 3)) for _ in range(2))

    def frames():  # type: ignore[no-untyped-def]
        for i in range(n):
            if cut is None or i < cut:
                frame = _canvas(size, first_bg)
                x = (8 + i * speed) % max(1, width - 30)
                frame[height // 3 : height // 3 + 24, x : x + 24] = (250, 220, 30)
                frame[height // 3 + 8 : height // 3 + 16, x + 8 : x + 16] = (20, 20, 20)
            else:
                frame = _canvas(size, second_bg)
                y = (8 + (i - cut) * speed) % max(1, height - 30)
                yy, xx = np.ogrid[0:height, 0:width]
                disk = (yy - y - 12) ** 2 + (xx - width // 2) ** 2 <= 144
                frame[disk] = (30, 240, 120)
                frame[y + 10 : y + 14, width // 2 - 2 : width // 2 + 2] = (20, 20, 20)
            yield frame

    return _encode(path, frames(), fps, size)


def static_clip(
    path: Path, seconds: float = 3.0, fps: int = 10, size: tuple[int, int] = (160, 120)
) -> Path:
    """The same frame for ``seconds``: no motion at all."""
    frame = _canvas(size, (90, 160, 90))
    frame[20:50, 30:70] = (10, 10, 10)
    return _encode(path, (frame for _ in range(max(1, round(seconds * fps)))), fps, size)


def zoom_clip(
    path: Path, seconds: float = 3.0, fps: int = 10, size: tuple[int, int] = (160, 120)
) -> Path:
    """A camera zoom-in: a centred crop of a textured scene that shrinks each frame."""
    width, height = size
    big = _canvas((width * 2, height * 2), (120, 80, 160))
    rng = np.random.default_rng(7)
    for _ in range(40):
        x, y = int(rng.integers(0, width * 2 - 20)), int(rng.integers(0, height * 2 - 20))
        big[y : y + 14, x : x + 14] = rng.integers(0, 255, 3)
    n = max(1, round(seconds * fps))

    def frames():  # type: ignore[no-untyped-def]
        import cv2

        for i in range(n):
            scale = 2.0 - 0.8 * i / max(1, n - 1)  # crop shrinks: the view zooms in
            cw, ch = int(width * scale), int(height * scale)
            x0, y0 = (width * 2 - cw) // 2, (height * 2 - ch) // 2
            crop = big[y0 : y0 + ch, x0 : x0 + cw]
            yield cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)

    return _encode(path, frames(), fps, size)


def truncated_copy(source: Path, path: Path, keep: float = 0.4) -> Path:
    """The first ``keep`` of ``source``'s bytes: an upload cut short."""
    data = source.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep))])
    return path


def trimmed_reencode(source: Path, path: Path, start: float = 1.0, crf: int = 35) -> Path:
    """``source`` from ``start`` seconds on, re-encoded at another quality: a re-upload."""
    from mmrecipe.video.decode import iter_frames

    frames = (f for _, t, f in iter_frames(source) if t >= start - 1e-6)
    import av

    with av.open(str(source)) as c:
        s = c.streams.video[0]
        fps, size = (
            round(float(s.average_rate)),
            (s.codec_context.width, s.codec_context.height),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.options = {"threads": "1", "crf": str(crf)}
        stream.codec_context.thread_count = 1
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def video_set(folder: Path) -> dict[str, Path]:
    """The mixed folder the video recipes dry-run on: two cut clips, a zoom, a static clip,
    a trimmed re-encode of the first (a near-duplicate), a truncated file, an empty file and
    a text file named .mp4."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {
        "shapes": moving_shapes(folder / "shapes.mp4"),
        "shapes_fast": moving_shapes(folder / "shapes_fast.mp4", speed=5, cut_at=1.5, scene=1),
        "zoom": zoom_clip(folder / "zoom.mp4"),
        "static": static_clip(folder / "static.mp4"),
    }
    out["reupload"] = trimmed_reencode(out["shapes"], folder / "shapes_reupload.mp4")
    out["truncated"] = truncated_copy(out["shapes"], folder / "truncated.mp4")
    (folder / "empty.mp4").write_bytes(b"")
    out["empty"] = folder / "empty.mp4"
    (folder / "notavideo.mp4").write_text("this is not a video\n")
    out["notavideo"] = folder / "notavideo.mp4"
    return out


def media_set(folder: Path) -> dict[str, Path]:
    """:func:`video_set` plus photos (scikit-image's bundled samples), a flat grey image and a
    broken PNG: the mixed folder the multi-image recipe dry-runs on."""
    import skimage.data
    from PIL import Image

    out = video_set(folder)
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        path = folder / f"{name}.png"
        Image.fromarray(getattr(skimage.data, name)()).resize((256, 192)).save(path)
        out[name] = path
    Image.new("RGB", (128, 96), (128, 128, 128)).save(folder / "flat.png")
    out["flat"] = folder / "flat.png"
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    out["broken"] = folder / "broken.png"
    return out
