"""Web-image quality scorers: images per second on one core, measured cold (decode + measure)
and from the run's score cache (what a re-thresholding run pays), with the full-resolution
plain decode as the yardstick. One table; every ratio is from this run (best of ``--repeat``).

    python benchmarks/web_image_scores.py [--images 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mmrecipe.context import OpContext
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.state import StateStore


def photos(folder: Path, n: int) -> list[ImageRef]:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:480, 0:640]
    refs = []
    for i in range(n):
        base = np.stack([x * 0.4 + i, y * 0.5, (x + y) * 0.2], axis=-1)
        im = Image.fromarray(
            np.clip(base + rng.normal(0, 30, (480, 640, 3)), 0, 255).astype(np.uint8)
        )
        path = folder / f"{i}.jpg"
        im.save(path, quality=90)
        refs.append(ImageRef(path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest()))
    return refs


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import cv2

    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        refs = photos(folder, args.images)

        def decode() -> None:
            for ref in refs:
                with Image.open(ref.path) as im:
                    im.convert("RGB").load()

        yardstick = best(decode, args.repeat)
        rows = [("full decode (PIL, RGB)", args.images / yardstick, None, 1.0)]
        scorers = [
            ("blur_score", {}, None),
            ("entropy_score", {}, None),
            (
                "text_overlay_score",
                {"backend": "ocr"},
                {"ocr": {"type": "tesseract", "lang": "eng", "psm": 11}},
            ),
        ]
        for op_name, params, specs in scorers:
            cold_times, warm = [], 0.0
            for r in range(args.repeat):
                ctx = OpContext(
                    run_dir=folder / f"{op_name}{r}",
                    state=StateStore(folder / f"{op_name}{r}.sqlite"),
                )
                ctx.backend_specs = specs or {}
                op = build_op(op_name, "s", params)
                op.setup(ctx)
                samples = [Sample(id=str(i), images=[ref]) for i, ref in enumerate(refs)]
                start = time.perf_counter()
                op.process_batch(samples)
                cold_times.append(time.perf_counter() - start)
                again = [Sample(id=str(i), images=[ref]) for i, ref in enumerate(refs)]
                start = time.perf_counter()
                op.process_batch(again)
                warm = (
                    time.perf_counter() - start
                    if r == 0
                    else min(warm, time.perf_counter() - start)
                )
            cold = min(cold_times)
            rows.append((op_name, args.images / cold, args.images / warm, yardstick / cold))
        print(f"{args.images} JPEG photos 640x480, one core, best of {args.repeat}")
        print(f"{'step':28} {'cold img/s':>11} {'cached img/s':>13} {'vs full decode':>15}")
        for name, cold, cached, ratio in rows:
            cached_s = f"{cached:13.0f}" if cached is not None else f"{'-':>13}"
            print(f"{name:28} {cold:11.1f} {cached_s} {ratio:14.2f}x")


if __name__ == "__main__":
    main()
