"""Peak memory of synthesis generators at growing sample counts: it should stay flat.

    python benchmarks/synth_memory.py [--kinds scene_text multilingual_document] [--sizes 200 1000]

Each (kind, size) runs in its own process: ``make`` for indices 0..size-1 with the same seed,
items dropped as they are made (what a source shard does); peak RSS from ``wait4``'s rusage.
Growth between sizes would mean something is kept per item (caches here are bounded: photos,
faces, fonts by size, font catalogs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

CHILD = """
import sys
from mmrecipe.synth.base import get_generator, item_rng
from mmrecipe.synth.multilingual.grammar_data import GRAMMARS
kind, n = sys.argv[1], int(sys.argv[2])
cls = get_generator(kind)
gen = cls(languages=sorted(GRAMMARS)) if kind in ("scene_text", "multilingual_document") else cls()
for i in range(n):
    gen.make(item_rng(0, kind, i), 1 + i % 3)
"""


def peak_rss_mb(kind: str, n: int) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(n)])
    _pid, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{kind} at {n} failed with status {status}")
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", default=["scene_text", "multilingual_document"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[200, 1000])
    args = parser.parse_args()
    print("generator               samples  peak RSS MB  seconds")
    for kind in args.kinds:
        for n in args.sizes:
            rss, secs = peak_rss_mb(kind, n)
            print(f"{kind:<23} {n:>7}  {rss:>11.1f}  {secs:>7.1f}")


if __name__ == "__main__":
    main()
