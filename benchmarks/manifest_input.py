"""A folder read by listing it vs from its manifest, in one run.

    PYTHONPATH=src python benchmarks/manifest_input.py [--files 20000] [--kb 48]

Printed: ``mmrecipe manifest``'s build time beside a plain serial listing; reading the
samples (the folder reader vs the manifest reader, which checks every entry against the root
rules); counting the input (a walk vs the Parquet footer); the resume fingerprint per sample
(a stat of the file, what a manifest's claimed size/mtime would replace) beside hashing the
file's bytes (what checking a claimed sha256 costs). Neither claim is trusted: the stat is
cheap, and dedup hashes the bytes it reads anyway.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

from mmrecipe.io.image_folder import ImageFolderReader
from mmrecipe.io.manifest import ManifestReader, build_manifest
from mmrecipe.resume import ShardInput


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--kb", type=int, default=48, help="bytes per file, in kB")
    parser.add_argument("--dirs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "img"
        blob = os.urandom(args.kb * 1024)
        per = args.files // args.dirs
        for d in range(args.dirs):
            (root / f"d{d:03d}").mkdir(parents=True)
            for i in range(per):
                (root / f"d{d:03d}" / f"{i:06d}.png").write_bytes(blob)
        n = per * args.dirs
        manifest = Path(tmp) / "m.parquet"
        _, t_build = timed(lambda: build_manifest(root, manifest, threads=8))
        _, t_list = timed(lambda: sum(1 for _ in ImageFolderReader(root)._paths()))
        _, t_folder = timed(lambda: list(ImageFolderReader(root)))
        samples, t_manifest = timed(lambda: list(ManifestReader(root, manifest)))
        _, t_count_walk = timed(lambda: ImageFolderReader(root).count())
        _, t_count_pq = timed(lambda: ManifestReader(root, manifest).count())
        _, t_fp = timed(lambda: [ShardInput.of(samples[i : i + 10]) for i in range(0, n, 10)])
        subset = samples[:2000]
        _, t_sha = timed(
            lambda: [hashlib.sha256(Path(s.images[0].path).read_bytes()).digest() for s in subset]
        )
        us = 1e6 / n
        print(f"{n} files of {args.kb} kB in {args.dirs} folders; {os.cpu_count()} cores")
        print(f"manifest build (8 threads)   {t_build:7.2f} s   serial listing {t_list:.2f} s")
        print(f"read: folder reader          {t_folder * us:7.1f} us/sample")
        print(
            f"read: manifest reader        {t_manifest * us:7.1f} us/sample "
            f"({t_folder / t_manifest:.2f}x the folder's samples/s)"
        )
        print(f"count: walk {t_count_walk * 1e3:.0f} ms, Parquet footer {t_count_pq * 1e3:.1f} ms")
        print(f"fingerprint (stat)           {t_fp * us:7.1f} us/sample")
        print(f"sha256 of the file           {t_sha * 1e6 / len(subset):7.1f} us/sample")


if __name__ == "__main__":
    main()
