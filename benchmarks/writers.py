"""Write throughput of every output format on the same samples, in one run, as a ratio to
mmrecipe's own lossless ``samples`` JSONL (the cost of shaping data for each trainer).

    PYTHONPATH=src python benchmarks/writers.py [--samples 2000] [--image-side 256]

Samples: one PNG each (shared by all, so the page cache is warm for every format), a system
turn, two rounds, two kept fields. Printed per format: samples/s, the ratio to ``samples``, and
MB written. Formats that embed image bytes (parquet, webdataset, openai data URLs) pay for
reading and copying them; the others write paths.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mmrecipe.io import WRITE_SUFFIX, open_writer
from mmrecipe.sample import ImageRef, Sample

FORMATS = [
    "samples",
    "llava",
    "llava_onevision",
    "sharegpt",
    "hf_messages",
    "openai",
    "parquet",
    "webdataset",
    "coco_captions",
]


def make_samples(folder: Path, n: int, side: int) -> list[Sample]:
    rng = np.random.default_rng(0)
    image = folder / "images" / "bench.png"
    image.parent.mkdir(parents=True)
    Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(image)
    return [
        Sample(
            id=f"s{i:07d}",
            images=[ImageRef(path=str(image), width=side, height=side)],
            messages=[
                {"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": f"<image>\nWhat is in picture {i}?"},
                {"role": "assistant", "content": "Noise in many colours. " * 8},
                {"role": "user", "content": "And the corners?"},
                {"role": "assistant", "content": "More noise."},
            ],
            fields={"domain": "bench", "caption": f"noise {i}", "ground_truth": {"i": i}},
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--image-side", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        samples = make_samples(root, args.samples, args.image_side)
        rows = []
        for fmt in FORMATS:
            path = root / "out" / f"shard{WRITE_SUFFIX[fmt]}"
            t0 = time.perf_counter()
            writer = open_writer(fmt, path, base_dir=root, keep_fields=["domain"])
            for s in samples:
                writer.write(s)
            writer.close()
            seconds = time.perf_counter() - t0
            rows.append((fmt, len(samples) / seconds, path.stat().st_size / 1e6))
        base = rows[0][1]
        print(f"{args.samples} samples, one {args.image_side}px PNG each")
        print(f"{'format':<16}{'samples/s':>12}{'vs samples':>12}{'MB':>10}")
        for fmt, rate, mb in rows:
            print(f"{fmt:<16}{rate:>12.0f}{rate / base:>12.2f}{mb:>10.1f}")


if __name__ == "__main__":
    main()
