"""The same recipes on the local executor and on Ray (a local Ray on this machine), in one run.

    PYTHONPATH=src python benchmarks/ray_overhead.py [--synth 200] [--images 1000] [--delay 0.1]

Printed: what Ray costs to start; the per-task round trip of a warm Ray and the per-shard
overhead of the Ray executor (a trivial recipe cut into many small shards); then samples/s
local vs Ray and their ratio for CPU-bound synthesis (``recipes/quickstart.yaml``) and for
HTTP-bound generation (``recipes/oasis.yaml`` against two local servers answering after
``--delay``, 7 requests per image) at equal concurrency: one backend with ``concurrency``
requests in flight, in the local executor's process or on Ray's one model actor.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import load_recipe
from mmrecipe.testing.openai_server import spawn

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def make_images(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
            folder / f"{i:05d}.png"
        )


def timed(kind: str, recipe: Path, run_dir: Path, overrides: list[str]) -> tuple[float, dict]:
    spec = load_recipe(recipe, overrides)
    if kind == "local":
        executor = LocalExecutor(spec, run_dir, quiet=True)
    else:
        from mmrecipe.executor.ray import RayExecutor

        executor = RayExecutor(spec, run_dir, quiet=True)
    t0 = time.perf_counter()
    result = executor.run()
    return time.perf_counter() - t0, result.stats


def same_output(a: Path, b: Path) -> bool:
    files = [p.relative_to(a) for p in sorted((a / "data").rglob("*")) if p.is_file()]
    return bool(files) and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def row(name: str, n: int, local_s: float, ray_s: float, same: bool) -> None:
    print(
        f"{name:<34} {n:>6} {n / local_s:>9.1f} {n / ray_s:>9.1f} "
        f"{local_s / ray_s:>6.2f} {'yes' if same else 'NO':>5}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth", type=int, default=200, help="quickstart samples")
    parser.add_argument("--images", type=int, default=1000, help="Oasis images")
    parser.add_argument("--delay", type=float, default=0.1, help="server answer delay (s)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight in all")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument(
        "--only", choices=["overhead", "synth", "oasis"], action="append", help="(repeatable)"
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    import ray

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    ray.init(
        num_cpus=args.cpus,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    t_init = time.perf_counter() - t0

    @ray.remote(num_cpus=1)
    def noop(x: int) -> int:
        return x

    ray.get(noop.remote(0))
    t0 = time.perf_counter()
    for i in range(200):
        ray.get(noop.remote(i))
    serial_ms = (time.perf_counter() - t0) / 200 * 1000
    t0 = time.perf_counter()
    ray.get([noop.remote(i) for i in range(2000)])
    parallel_ms = (time.perf_counter() - t0) / 2000 * 1000
    print(f"import ray {t_import:.2f} s, ray.init(num_cpus={args.cpus}) {t_init:.2f} s")
    print(f"a no-op task: {serial_ms:.2f} ms round trip, {parallel_ms:.2f} ms each when batched")

    servers: list[Any] = []
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            only = set(args.only or ["overhead", "synth", "oasis"])
            if "overhead" in only:
                per_shard_overhead(tmp)
            print(f"{'workload':<34} {'n':>6} {'local/s':>9} {'ray/s':>9} {'ratio':>6} {'same':>5}")
            if "synth" in only:
                synthesis(tmp, args.synth, args.cpus)
            if "oasis" in only:
                delay = ("--delay", str(args.delay), "--script", "oasis")
                servers = [spawn("--kind", "vllm", *delay), spawn("--kind", "plain", *delay)]
                generation(tmp, args.images, args.concurrency, [url for _, url in servers])
    finally:
        for proc, _ in servers:
            proc.kill()
        ray.shutdown()


def per_shard_overhead(tmp: Path) -> None:
    """A trivial recipe in many small shards: what the Ray executor adds per shard."""
    data = tmp / "in.jsonl"
    with open(data, "w") as fh:
        for i in range(2000):
            turns = [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": "a"}]
            fh.write(json.dumps({"id": f"s{i}", "conversations": turns}) + "\n")
    trivial = tmp / "trivial.yaml"
    trivial.write_text(
        "name: trivial\ninput: {format: llava}\n"
        "ops: [{op: set_fields, name: tag, values: {domain: x}}]\n"
        "executor: {shard_size: 10, shards_in_flight: 4}\n"
    )
    sets = [f"input.path={data}"]
    timed("ray", trivial, tmp / "warm", sets)  # warm the worker processes
    local_s, _ = timed("local", trivial, tmp / "trivial-local", sets)
    ray_s, _ = timed("ray", trivial, tmp / "trivial-ray", sets)
    per_shard = (ray_s - local_s) / 200 * 1000
    print(
        f"Ray executor, 200 shards of 10 trivial samples: local {local_s:.2f} s, "
        f"Ray {ray_s:.2f} s: {per_shard:.1f} ms more per shard"
    )
    print()


def synthesis(tmp: Path, n: int, cpus: int) -> None:
    """CPU-bound: the quickstart generators."""
    sets = [f"ops.mix.num_samples={n}", "executor.shard_size=20"]
    sets += [f"executor.shards_in_flight={cpus}"]
    local_s, _ = timed("local", RECIPES / "quickstart.yaml", tmp / "q-local", sets)
    ray_s, _ = timed("ray", RECIPES / "quickstart.yaml", tmp / "q-ray", sets)
    same = same_output(tmp / "q-local", tmp / "q-ray")
    row("synthesis (quickstart)", n, local_s, ray_s, same)


def generation(tmp: Path, n: int, concurrency: int, urls: list[str]) -> None:
    """HTTP-bound: Oasis against the two servers, at equal concurrency."""
    images = tmp / "images"
    make_images(images, n)
    base = [f"input.path={images}", "executor.shard_size=100"]
    base += ["executor.shards_in_flight=2", "executor.io_chunk_size=64"]
    base += [f"backends.mllm.base_url={urls[0]}", f"backends.llm.base_url={urls[1]}"]

    def conc(k: int) -> list[str]:
        return [f"backends.mllm.concurrency={k}", f"backends.llm.concurrency={k}"]

    oasis = RECIPES / "oasis.yaml"
    local_s, _ = timed("local", oasis, tmp / "o-local", base + conc(concurrency))
    # one model actor (the other CPU runs the intake tasks), with all the concurrency
    sets = base + conc(concurrency) + ["executor.actors=1"]
    ray_s, _ = timed("ray", oasis, tmp / "o-ray", sets)
    same = same_output(tmp / "o-local", tmp / "o-ray")
    row("generation (oasis), 1 actor", n, local_s, ray_s, same)


if __name__ == "__main__":
    main()
