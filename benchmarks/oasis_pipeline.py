"""The Oasis recipe end to end against two local model servers that answer after a fixed delay.

    PYTHONPATH=src python benchmarks/oasis_pipeline.py [--images 2000] [--delay 0.1]

Both servers (an MLLM that can hook, a text LLM) run in their own processes with scripted
answers that carry every image through every step: per image 5 MLLM requests (hook, three
judges, the response) and 2 LLM requests (categorization, nonsense). Printed per executor
setting: wall time, images/s, model requests/s, and the ratio to the bound that the MLLM
server's ``concurrency / delay`` sets (1.0 = the pipeline never leaves the server idle), with
the model steps run step by step (chunk = shard) or pipelined in chunks of 64.
A second run into the same dir shows what a rerun costs (every shard is already finished).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import load_recipe
from mmrecipe.testing.openai_server import spawn

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "oasis.yaml"
MLLM_REQUESTS, LLM_REQUESTS = 5, 2


def make_images(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for i in range(n):
        pixels = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:05d}.png")


def run_once(images: Path, run_dir: Path, urls: dict[str, str], overrides: list[str]) -> dict:
    sets = [f"input.path={images}", *overrides]
    sets += [f"backends.{name}.base_url={url}" for name, url in urls.items()]
    recipe = load_recipe(RECIPE, sets)
    t0 = time.perf_counter()
    result = LocalExecutor(recipe, run_dir, quiet=True).run()
    result.stats["measured_s"] = time.perf_counter() - t0
    return result.stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    delay = ("--delay", str(args.delay), "--script", "oasis")
    servers = [spawn("--kind", "vllm", *delay), spawn("--kind", "plain", *delay)]
    urls = {"mllm": servers[0][1], "llm": servers[1][1]}
    # (shard_size, shards_in_flight, io_chunk_size); a chunk of a whole shard = step by step
    settings = [(100, 1, 100), (100, 1, 64), (100, 2, 100), (100, 2, 64), (100, 4, 64)]
    settings += [(1000, 2, 1000), (1000, 2, 64)]
    bound = args.concurrency / args.delay / MLLM_REQUESTS  # images/s the MLLM server allows
    try:
        with tempfile.TemporaryDirectory() as tmp:
            images = Path(tmp) / "images"
            make_images(images, args.images)
            print(
                f"{args.images} images, server delay {args.delay * 1000:.0f} ms, "
                f"concurrency {args.concurrency}; bound {bound:.0f} images/s"
            )
            print(
                f"{'shard_size':>10} {'in_flight':>9} {'chunk':>5} {'wall_s':>7} {'images/s':>9} "
                f"{'requests/s':>10} {'of bound':>8} {'kept':>5} {'rerun_s':>7}"
            )
            for shard_size, in_flight, chunk in settings:
                run_dir = Path(tmp) / f"run-{shard_size}-{in_flight}-{chunk}"
                overrides = [
                    f"executor.shard_size={shard_size}",
                    f"executor.shards_in_flight={in_flight}",
                    f"executor.io_chunk_size={chunk}",
                    f"backends.mllm.concurrency={args.concurrency}",
                    f"backends.llm.concurrency={args.concurrency}",
                ]
                stats = run_once(images, run_dir, urls, overrides)
                wall = stats["measured_s"]
                requests = sum(u.get("requests", 0) for u in stats["usage"].values())
                rerun = run_once(images, run_dir, urls, overrides)["measured_s"]
                rate = args.images / wall
                print(
                    f"{shard_size:>10} {in_flight:>9} {chunk:>5} {wall:>7.2f} {rate:>9.1f} "
                    f"{requests / wall:>10.0f} {rate / bound:>8.2f} "
                    f"{stats['totals']['kept']:>5} {rerun:>7.2f}"
                )
                expected = args.images * (MLLM_REQUESTS + LLM_REQUESTS)
                if requests != expected:
                    print(
                        f"  note: {requests} requests, expected {expected}: "
                        + json.dumps(stats["reject_reasons"])
                    )
    finally:
        for proc, _ in servers:
            proc.kill()


if __name__ == "__main__":
    main()
