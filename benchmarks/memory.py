"""Peak memory of a map + filter recipe at growing sizes: it should stay flat (streaming).

    python benchmarks/memory.py [--sizes 10000 50000 200000]

Each size runs ``mmrecipe run`` in its own process; peak RSS comes from ``wait4``'s rusage.
Target: flat across sizes, under 500 MB at 200k samples.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RECIPE = """
name: memory-benchmark
input: {format: llava}
ops:
  - {op: set_fields, name: tag, values: {domain: benchmark}}
  - {op: text_length, name: length, role: assistant, min_words: 3}
output: {formats: [llava]}
executor: {shard_size: 1000, shards_in_flight: 2}
"""


def write_input(path: Path, n: int) -> None:
    with open(path, "w") as fh:
        for i in range(n):
            words = " ".join(f"w{(i * 7 + k) % 997}" for k in range(i % 40))
            fh.write(
                json.dumps(
                    {
                        "id": f"s{i}",
                        "image": f"images/{i % 5000}.jpg",
                        "conversations": [
                            {"from": "human", "value": f"<image>\nQuestion {i}?"},
                            {"from": "gpt", "value": words},
                        ],
                    }
                )
                + "\n"
            )


def measure(n: int, work: Path) -> tuple[float, float, int]:
    data = work / f"in-{n}.jsonl"
    write_input(data, n)
    recipe = work / "recipe.yaml"
    recipe.write_text(RECIPE)
    run = work / f"run-{n}"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mmrecipe",
            "run",
            str(recipe),
            "--input",
            str(data),
            "-o",
            str(run),
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"run of {n} samples failed")
    kept = json.loads((run / "stats.json").read_text())["totals"]["kept"]
    return usage.ru_maxrss / 1024, seconds, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    args = parser.parse_args()
    print(f"{'samples':>9} {'peak RSS MB':>12} {'seconds':>8} {'samples/s':>10} {'kept':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            rss, seconds, kept = measure(n, Path(tmp))
            print(f"{n:>9} {rss:>12.1f} {seconds:>8.1f} {n / seconds:>10.0f} {kept:>8}")


if __name__ == "__main__":
    main()
