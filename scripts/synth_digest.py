"""Digest of every synthesis generator's output (image bytes + sample JSON) at fixed seeds.

For refactors that must not change a byte: run it before and after, and diff the two outputs.

    PYTHONPATH=src python scripts/synth_digest.py [-n 50] [--only chart ...] > before.txt
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

from mmrecipe.synth.base import all_generators
from mmrecipe.synth.source import generate_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="samples per generator (over its levels)")
    parser.add_argument("--only", nargs="*", default=[], help="these generator kinds only")
    args = parser.parse_args()
    total = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        for kind, cls in all_generators().items():
            if args.only and kind not in args.only:
                continue
            digest = hashlib.sha256()
            generator = cls()
            for level in range(1, cls.levels + 1):
                out = Path(tmp) / kind
                per_level = max(1, args.n // cls.levels)
                for sample in generate_samples(generator, 0, per_level, 11 + level, level, out):
                    for ref in sample.images:
                        digest.update(Path(ref.path).read_bytes())
                    record = sample.to_dict()
                    record["images"] = [ref.sha256 for ref in sample.images]  # not the tmp path
                    digest.update(json.dumps(record, sort_keys=True, default=str).encode())
            print(f"{kind:<16} {digest.hexdigest()[:16]}", flush=True)
            total.update(digest.digest())
    print("TOTAL", total.hexdigest()[:16])


if __name__ == "__main__":
    main()
