"""Samples per second of every registered synthesis generator, single process, on this machine.

Each generator makes N samples end to end (draw, encode PNG, write, build the sample) into a
temporary folder, at a fixed difficulty; a second column times ``make`` alone (no PNG encoding).

    python benchmarks/synth.py [-n 200] [--difficulty 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mmrecipe.synth.base import all_generators, item_rng
from mmrecipe.synth.source import generate_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="samples per generator")
    parser.add_argument("--difficulty", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, cls in all_generators().items():
            gen = cls()
            t0 = time.perf_counter()
            for i in range(args.n):
                gen.make(item_rng(args.seed, kind, i), args.difficulty)
            make_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            samples = generate_samples(gen, 0, args.n, args.seed, args.difficulty, Path(tmp))
            total_s = time.perf_counter() - t0
            images = sum(len(s.images) for s in samples)
            rows.append((kind, args.n / total_s, args.n / make_s, images / args.n))
    print(f"{'generator':<16} {'samples/s':>10} {'make only/s':>12} {'images/sample':>14}")
    for kind, sps, make_sps, ips in rows:
        print(f"{kind:<16} {sps:>10.1f} {make_sps:>12.1f} {ips:>14.1f}")
    print(f"(n={args.n} per generator, difficulty {args.difficulty}, one process)")


if __name__ == "__main__":
    main()
