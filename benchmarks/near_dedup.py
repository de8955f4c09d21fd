"""Near-duplicate removal: speed against imagehash, search at scale, precision/recall, MinHash.

Prints one table; every ratio is measured in this run (the machine is shared and noisy, so
timings are the best of ``--repeat`` alternating rounds).

1. Hashing, decode included, 640x480 JPEG photos, one core: our draft-decode pHash (+ 15 crop
   views) vs ``imagehash.phash``.
2. ``mmrecipe run recipes/dedup-images.yaml`` end to end (intake + dedup + outputs) vs a plain
   ``imagehash.phash`` loop over the same files.
3. Precision/recall of that run over pairs, on generated variants (resized, recompressed,
   PNG, cropped <= 5% a side, brighter, lower contrast) of distinct photos plus half crops.
4. Search: 1M 64-bit hashes (random, with planted near pairs) within the recipe's radius by
   LSH; on a 20k subset, LSH vs the exact all-pairs scan (time ratio, recall).
5. Text: MinHash docs/s (ours vs datasketch) and recall on planted paraphrases (word swaps).

    python benchmarks/near_dedup.py [--photos 68] [--hashes 1000000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RADIUS = 10  # recipes/dedup-images.yaml: near_dedup.max_distance


def bench_hashing(files: list[Path], repeat: int) -> tuple[float, float]:
    """Images/s of each, best of ``repeat`` alternating rounds (the machine is shared)."""
    import imagehash
    from PIL import Image

    from mmrecipe.curation.phash import image_hashes

    datas = [f.read_bytes() for f in files]
    ours, theirs = 0.0, 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        for d in datas:
            image_hashes(io.BytesIO(d))
        ours = max(ours, len(datas) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for d in datas:
            imagehash.phash(Image.open(io.BytesIO(d)))
        theirs = max(theirs, len(datas) / (time.perf_counter() - t0))
    return ours, theirs


def speed_set(folder: Path, n: int, seed: int = 1) -> list[Path]:
    """``n`` 640x480 JPEG photos: random crops (position and scale) of the sample photos."""
    import skimage.data
    from PIL import Image

    from mmrecipe.testing.variants import PHOTOS

    rng = np.random.default_rng(seed)
    photos = [Image.fromarray(getattr(skimage.data, p)()).convert("RGB") for p in PHOTOS]
    folder.mkdir(parents=True)
    files = []
    for i in range(n):
        im = photos[i % len(photos)]
        w, h = im.size
        cw, ch = int(w * rng.uniform(0.5, 0.9)), int(h * rng.uniform(0.5, 0.9))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        path = folder / f"s{i:05d}.jpg"
        im.crop((x, y, x + cw, y + ch)).resize((640, 480)).save(path, quality=90)
        files.append(path)
    return files


def bench_run(
    folder: Path, out: Path, repeat: int = 1, src: Path = ROOT / "src"
) -> tuple[float, float]:
    """Seconds of the whole CLI run and of a plain imagehash loop, best of ``repeat``."""
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [sys.executable, "-m", "mmrecipe", "run", str(ROOT / "recipes" / "dedup-images.yaml")]
    loop = (
        "import imagehash,sys,pathlib\nfrom PIL import Image\n"
        "for f in sorted(pathlib.Path(sys.argv[1]).iterdir()): imagehash.phash(Image.open(f))"
    )
    ours, theirs = float("inf"), float("inf")
    for i in range(repeat):
        target = out if i == 0 else out.with_name(f"{out.name}-{i}")
        t0, c0 = time.perf_counter(), _children_cpu()
        run = [*cmd, "--input", str(folder), "-o", str(target), "--quiet"]
        subprocess.run(run, check=True, env=env, capture_output=True)
        ours = min(ours, time.perf_counter() - t0)
        CPU_SECONDS["ours"] = min(CPU_SECONDS.get("ours", 1e9), _children_cpu() - c0)
        t0, c0 = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-c", loop, str(folder)], check=True, env=env)
        theirs = min(theirs, time.perf_counter() - t0)
        CPU_SECONDS["theirs"] = min(CPU_SECONDS.get("theirs", 1e9), _children_cpu() - c0)
    return ours, theirs


#: CPU seconds (user + system) of the last bench_run's processes, best of its rounds: on a
#: shared machine the wall clock mostly measures the other users
CPU_SECONDS: dict[str, float] = {}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def precision_recall(run_dir: Path, truth: dict[str, str]) -> tuple[float, float]:
    cluster: dict[str, str] = {}
    ids: dict[str, str] = {}
    for f in (run_dir / "samples").glob("*.jsonl"):
        for line in f.open():
            rec = json.loads(line)
            ids[rec["id"]] = Path(rec["images"][0]["path"]).name
    rejects = [json.loads(x) for f in (run_dir / "rejects").glob("*.jsonl") for x in f.open()]
    for rec in rejects:
        ids[rec["id"]] = Path(
            rec.get("sample", rec).get("fields", {}).get("original_images", {}).get("0")
            or rec.get("sample", rec)["images"][0]["path"]
        ).name
    for rec in rejects:
        survivor = rec["detail"].split("near-duplicate of ", 1)[1].split(";")[0]
        cluster[ids[rec["id"]]] = ids[survivor]
    names = sorted(truth)
    root = {n: cluster.get(n, n) for n in names}
    tp = fp = fn = 0
    for a, b in combinations(names, 2):
        same = truth[a] == truth[b]
        said = root[a] == root[b]
        tp += same and said
        fp += said and not same
        fn += same and not said
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def planted_hashes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Random hashes where every 10th is a copy of its predecessor with 1..RADIUS flipped bits."""
    hashes = rng.integers(0, 1 << 63, size=n, dtype=np.uint64) * np.uint64(2) + rng.integers(
        0, 2, size=n, dtype=np.uint64
    )
    for i in range(1, n, 10):
        flips = rng.choice(64, size=int(rng.integers(1, RADIUS + 1)), replace=False)
        hashes[i] = hashes[i - 1] ^ np.uint64(sum(1 << int(b) for b in flips))
    return hashes


def bench_search(n: int, rng: np.random.Generator) -> dict[str, float]:
    from mmrecipe.curation.hamming import self_pairs

    big = planted_hashes(n, rng)
    t0 = time.perf_counter()
    a, _, _ = self_pairs(big, RADIUS, method="lsh")
    t_big = time.perf_counter() - t0
    small = big[:20_000]
    t0 = time.perf_counter()
    q, x, _ = self_pairs(small, RADIUS, method="exact")
    t_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    q2, x2, _ = self_pairs(small, RADIUS, method="lsh")
    t_lsh = time.perf_counter() - t0
    truth = set(zip(q.tolist(), x.tolist(), strict=True))
    found = set(zip(q2.tolist(), x2.tolist(), strict=True))
    return {
        "big_pairs": len(a),
        "t_big": t_big,
        "t_exact": t_exact,
        "t_lsh": t_lsh,
        "recall": len(truth & found) / max(1, len(truth)),
        "pairs": len(truth),
    }


WORDS = [
    "what",
    "is",
    "the",
    "color",
    "of",
    "the",
    "car",
    "parked",
    "near",
    "red",
    "house",
    "on",
    "left",
    "side",
    "street",
    "how",
    "many",
    "people",
    "are",
    "sitting",
    "at",
    "table",
    "in",
    "this",
    "picture",
    "which",
    "animal",
    "appears",
    "largest",
    "image",
    "describe",
    "scene",
    "detail",
    "where",
    "does",
    "sign",
    "point",
    "read",
    "text",
    "written",
    "board",
    "kind",
    "food",
    "plate",
    "shown",
]


def bench_minhash(n_docs: int, rng: random.Random) -> dict[str, float]:
    from datasketch import MinHash

    from mmrecipe.curation.textsim import MinHasher, minhash_pairs, shingle_hashes

    docs, planted = [], []
    for i in range(n_docs):
        if i % 5 == 1:  # a paraphrase of the previous doc: two adjacent words swapped
            words = docs[-1].split()
            k = rng.randrange(len(words) - 1)
            words[k], words[k + 1] = words[k + 1], words[k]
            docs.append(" ".join(words))
            planted.append((i - 1, i))
        else:
            docs.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 40))))
    hasher = MinHasher(num_perm=128)
    t0 = time.perf_counter()
    sigs = [hasher.signature(d) for d in docs]
    ours = n_docs / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for d in docs:
        m = MinHash(num_perm=128)
        m.update_batch([str(int(h)).encode() for h in shingle_hashes(d)])
    theirs = n_docs / (time.perf_counter() - t0)
    pairs = {(i, j) for i, j, _ in minhash_pairs(sigs, 0.7)}
    recall = sum(p in pairs for p in planted) / len(planted)
    return {
        "ours": ours,
        "datasketch": theirs,
        "recall": recall,
        "false": len(pairs - set(planted)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=64, help="distinct photos (<= 64)")
    parser.add_argument("--files", type=int, default=2000, help="JPEGs timed end to end")
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2, help="best of N timing rounds")
    parser.add_argument("--search-only", action="store_true", help="only the hash search rows")
    parser.add_argument("--run-only", action="store_true", help="only the whole-run row")
    parser.add_argument(
        "--before-src", type=Path, help="with --run-only: also time the run from this src/"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from mmrecipe.testing.variants import write_set

    def row(key: str, value: str) -> None:
        print(f"{key:<50}  {value}", flush=True)

    if args.search_only:
        search_rows(args.hashes, row)
        return
    if args.run_only:
        with tempfile.TemporaryDirectory() as tmp:
            jpegs = speed_set(Path(tmp) / "speed", args.files)
            runs = [("", ROOT / "src")]
            if args.before_src:
                runs.insert(0, (" before", args.before_src))
            for label, src in runs:
                t_ours, t_theirs = bench_run(
                    Path(tmp) / "speed", Path(tmp) / f"run{label.strip()}", args.repeat, src
                )
                row(
                    f"dedup-images.yaml run{label}, {len(jpegs)} JPEGs (s)",
                    f"{t_ours:.2f} vs imagehash loop {t_theirs:.2f}: {t_theirs / t_ours:.2f}x",
                )
                c_ours, c_theirs = CPU_SECONDS["ours"], CPU_SECONDS["theirs"]
                row(
                    f"  same, CPU seconds{label}",
                    f"{c_ours:.2f} vs imagehash loop {c_theirs:.2f}: {c_theirs / c_ours:.2f}x",
                )
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        truth = write_set(folder, args.photos)
        jpegs = speed_set(Path(tmp) / "speed", args.files)
        ours, theirs = bench_hashing(jpegs, args.repeat)
        row(
            "hash 640x480 JPEG, 1 core (images/s)",
            f"{ours:.0f} vs imagehash {theirs:.0f}: {ours / theirs:.2f}x",
        )
        t_ours, t_theirs = bench_run(Path(tmp) / "speed", Path(tmp) / "speed-run", args.repeat)
        row(
            f"dedup-images.yaml run, {len(jpegs)} JPEGs (s)",
            f"{t_ours:.2f} vs imagehash loop {t_theirs:.2f}: {t_theirs / t_ours:.2f}x",
        )
        bench_run(folder, Path(tmp) / "run")
        p, r = precision_recall(Path(tmp) / "run", truth)
        row(f"near-dup precision / recall, {len(truth)} files (pairs)", f"{p:.3f} / {r:.3f}")
    m = bench_minhash(args.docs, random.Random(0))
    row(
        "MinHash 128 perms (docs/s)",
        f"{m['ours']:.0f} vs datasketch {m['datasketch']:.0f}: {m['ours'] / m['datasketch']:.2f}x",
    )
    row(
        "MinHash-LSH recall on word swaps (J>=0.7)",
        f"{m['recall']:.3f} ({m['false']} other pairs)",
    )
    search_rows(args.hashes, row)


def search_rows(n: int, row) -> None:
    s = bench_search(n, np.random.default_rng(0))
    row(
        f"search {n:,} hashes, radius {RADIUS} (LSH, s)",
        f"{s['t_big']:.1f} ({s['big_pairs']:,} pairs within the radius)",
    )
    row(
        "search 20k: exact all-pairs vs LSH (s)",
        f"{s['t_exact']:.2f} vs {s['t_lsh']:.2f}: {s['t_exact'] / s['t_lsh']:.2f}x, "
        f"LSH recall {s['recall']:.3f} of {s['pairs']} pairs",
    )


if __name__ == "__main__":
    main()
