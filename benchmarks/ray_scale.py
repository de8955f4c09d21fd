"""A simulated large run: many shards of 10 samples through the Ray executor, cache on.

    PYTHONPATH=src python benchmarks/ray_scale.py [--shards 1000,4000] [--nodes 2]

Each size runs in a fresh driver process on a simulated multi-node cluster
(``ray.cluster_utils.Cluster``, ``--nodes`` nodes of one CPU each) against the scripted
server (``mmrecipe.testing.openai_server``, its own process): every sample is one
``vlm_generate`` request (distinct prompts), answered through the segment cache, which the
model actors write and read themselves. Then the same run dir again with a changed recipe
(the answer moved to another field): every request must come from the cache.

Printed per size: wall time, the driver's CPU seconds per shard (user+sys of the driver
process, Ray's start-up subtracted by a run of 10 shards in the same process), the driver's
RSS after the first 10% of the shards and after the last one (flat means the driver holds
only the shards in flight) and its peak (with ``stats.json``'s merge at the end), requests paid and cache hits of the rerun.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from PIL import Image

HERE = Path(__file__).resolve()


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def write_input(tmp: Path, n_samples: int) -> Path:
    image = tmp / "img.png"
    Image.new("RGB", (16, 16), (10, 20, 30)).save(image)
    data = tmp / f"in-{n_samples}.jsonl"
    with open(data, "w") as fh:
        for i in range(n_samples):
            fh.write(
                json.dumps(
                    {"id": f"s{i:08d}", "images": [{"path": str(image)}], "fields": {"n": i}}
                )
                + "\n"
            )
    return data


def write_recipe(tmp: Path, url: str, field: str, in_flight: int) -> Path:
    spec = {
        "name": "ray-scale",
        "input": {"format": "samples"},
        "backends": {
            "mllm": {"type": "openai", "model": "fake", "base_url": url, "server": "openai"}
        },
        "ops": [
            {
                "op": "vlm_generate",
                "name": "caption",
                "backend": "mllm",
                "prompt": "Describe picture {n}.",
                "output_field": field,
            }
        ],
        "output": {"formats": ["samples"]},
        "executor": {"type": "ray", "shard_size": 10, "shards_in_flight": in_flight},
    }
    path = tmp / f"recipe-{field}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def one_size(args: argparse.Namespace) -> None:
    """In a fresh driver: a warm-up of 10 shards, then ``--one`` shards, then the rerun."""
    import ray
    from ray.cluster_utils import Cluster

    from mmrecipe.executor.ray import RayExecutor
    from mmrecipe.recipe import load_recipe

    tmp = Path(args.tmp)
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    for _ in range(args.nodes - 1):
        nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    ray.init(
        address=nodes.address,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    try:
        data = write_input(tmp, args.one * 10)
        warm = write_input(tmp, 100)
        first = load_recipe(
            write_recipe(tmp, args.url, "caption", args.in_flight), [f"input.path={warm}"]
        )
        RayExecutor(first, tmp / "warm", quiet=True).run()
        peak = [rss_mb()]
        early: list[float] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(0.2):
                peak[0] = max(peak[0], rss_mb())

        threading.Thread(target=watch, daemon=True).start()
        spec = load_recipe(
            write_recipe(tmp, args.url, "caption", args.in_flight), [f"input.path={data}"]
        )
        executor = RayExecutor(spec, tmp / "run", quiet=True)
        orig = executor.progress.shard_done

        def done(*a, **kw):  # type: ignore[no-untyped-def]
            orig(*a, **kw)
            done.n += 1
            if done.n == max(1, args.one // 10):
                early.append(rss_mb())
            if done.n == args.one:  # the last shard, before stats.json is written
                early.append(rss_mb())

        done.n = 0
        executor.progress.shard_done = done  # type: ignore[method-assign]
        c0, t0, rss0 = cpu_s(), time.perf_counter(), rss_mb()
        stats = executor.run().stats
        wall, cpu = time.perf_counter() - t0, cpu_s() - c0
        stop.set()
        rerun = {"cache": {"requests": None, "hits": None}}
        if args.one <= args.rerun_max:
            again = load_recipe(
                write_recipe(tmp, args.url, "answer", args.in_flight), [f"input.path={data}"]
            )
            rerun = RayExecutor(again, tmp / "run", quiet=True).run().stats
        print(
            json.dumps(
                {
                    "shards": args.one,
                    "wall_s": wall,
                    "driver_cpu_ms_per_shard": cpu / args.one * 1000,
                    "rss_start_mb": rss0,
                    "rss_10pct_mb": early[0] if early else None,
                    "rss_last_shard_mb": early[-1] if early else None,
                    "rss_peak_mb": peak[0],
                    "requests": stats["cache"]["requests"],
                    "rerun_requests": rerun["cache"]["requests"],
                    "rerun_hits": rerun["cache"]["hits"],
                    "segments": len(list((tmp / "run" / "state" / "cache").glob("*.idx"))),
                }
            )
        )
    finally:
        ray.shutdown()
        nodes.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", default="1000,4000")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--rerun-max", type=int, default=5000, help="rerun sizes up to this")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_size(args)
        return
    from mmrecipe.testing.openai_server import spawn

    server, url = spawn("--kind", "plain")
    print(
        f"{'shards':>7}{'wall s':>9}{'drv ms/shard':>14}{'RSS 10% MB':>12}{'last MB':>9}"
        f"{'peak MB':>9}"
        f"{'paid':>8}{'rerun paid':>11}{'rerun hits':>11}{'indexes':>8}"
    )
    try:
        for n in [int(x) for x in args.shards.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [
                    sys.executable,
                    str(HERE),
                    "--one",
                    str(n),
                    "--url",
                    url,
                    "--tmp",
                    tmp,
                    "--nodes",
                    str(args.nodes),
                    "--in-flight",
                    str(args.in_flight),
                    "--rerun-max",
                    str(args.rerun_max),
                ]
                out = subprocess.run(cmd, capture_output=True, text=True, check=False)
                line = out.stdout.strip().splitlines()[-1:] or ["{}"]
                try:
                    r = json.loads(line[0])
                except ValueError:
                    r = {}
                if "wall_s" not in r:
                    print(out.stdout[-2000:], out.stderr[-4000:])
                    raise SystemExit(f"the run of {n} shards failed")
                print(json.dumps(r), file=sys.stderr, flush=True)  # the raw numbers
                print(
                    f"{n:>7}{r['wall_s']:>9.1f}{r['driver_cpu_ms_per_shard']:>14.2f}"
                    f"{r['rss_10pct_mb'] or 0:>12.0f}{r['rss_last_shard_mb'] or 0:>9.0f}"
                    f"{r['rss_peak_mb']:>9.0f}{r['requests']:>8}"
                    f"{r['rerun_requests']!s:>11}{r['rerun_hits']!s:>11}{r['segments']:>8}",
                    flush=True,
                )
    finally:
        server.kill()


if __name__ == "__main__":
    main()
