"""What input-aware resume costs: a fresh run, a rerun with nothing to do, and a rerun after
1% more input was appended, over an image folder; plus the share of the fingerprinting itself.

    python benchmarks/resume.py [-n 20000] [--shard-size 1000]

Each run is ``mmrecipe run`` in its own process (imports included). The fingerprint column
times ``ShardInput.of`` over every sample the reader yields, in this process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mmrecipe.io import open_reader
from mmrecipe.resume import ShardInput

RECIPE = """
name: resume-benchmark
input: {format: image_folder}
ops:
  - {op: set_fields, name: tag, values: {domain: benchmark}}
output: {formats: [llava]}
executor: {shard_size: SHARD, shards_in_flight: 2}
"""

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8ffff3f0005fe02fea7d6a4a40000000049454e44ae426082"
)


def make_images(folder: Path, start: int, stop: int) -> None:
    for i in range(start, stop):
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:07d}.png").write_bytes(PNG)


def timed_run(recipe: Path, folder: Path, out: Path) -> float:
    args = ["run", str(recipe), "--input", str(folder), "-o", str(out), "--quiet"]
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mmrecipe", *args],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--shard-size", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "imgs"
        make_images(folder, 0, args.n)
        recipe = work / "recipe.yaml"
        recipe.write_text(RECIPE.replace("SHARD", str(args.shard_size)))
        out = work / "run"
        rows = [("fresh run", timed_run(recipe, folder, out))]
        rows.append(("rerun, nothing changed", timed_run(recipe, folder, out)))
        make_images(folder, args.n, args.n + args.n // 100)
        rows.append(("rerun, 1% appended", timed_run(recipe, folder, out)))
        reader = open_reader("image_folder", folder)
        t0 = time.perf_counter()
        samples = list(reader)
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for k in range(0, len(samples), args.shard_size):
            ShardInput.of(samples[k : k + args.shard_size])
        rows.append(("read the folder (in process)", read_s))
        rows.append(("fingerprint every shard", time.perf_counter() - t0))
    print(f"{'measure':<32} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<32} {seconds:>8.2f}")
    print(f"({args.n} images, shard_size {args.shard_size}, one process per run)")


if __name__ == "__main__":
    main()
