"""The request cache's store with 1, 2 and 4 writer processes at once: segments vs sqlite.

    PYTHONPATH=src python benchmarks/cache_scale.py [--per-writer 6000] [--shard 70]

Each writer process inserts ``--per-writer`` answers of ~1 kB (a shard of 10 images asks ~70:
``--shard``) and then looks up as many keys (half its own, half another writer's, in batches
of a shard), all writers at once, in one run:

* ``segments``: today's store (``mmrecipe.segments``): each process appends to its own segment,
  seals it after every shard (fsync, sorted index, Bloom filter, merges of full levels);
* ``sqlite``: the store before it, one ``request_cache`` table in WAL mode: a row per insert in
  autocommit, as ``StateStore.cache_put`` did, lookups a query per key. Several writers on one
  sqlite file wait for its one write lock (on Ray only the driver wrote it; here the writers
  take turns directly: possible on one machine only, as WAL needs shared memory);
* ``sqlite-1w``: how the Ray executor used it before: the workers send each shard's answers to
  the driver, the one sqlite writer (a row per answer); lookups went to one reader (not run).

Then one process's lookups/s (batches of 64, hits and misses) with 10, 100 and 400 sealed
indexes (merges off): a lookup asks every index, so its cost grows with their number.

Printed: aggregate inserts/s and lookups/s per store and writer count (best of ``--repeat``
runs: the machine is shared), and the ratio to one writer. The machine's cores bound both: on 2 shared cores 4 writers cannot be 4x faster.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from mmrecipe.segments import SegmentCache

VALUE = '{"texts": ["' + "an answer of about a kilobyte " * 34 + '"], "error": null}'


def key(writer: int, i: int) -> str:
    return hashlib.sha256(f"{writer}:{i}".encode()).hexdigest()


def _segments(directory: str, writer: int, n: int, shard: int, start, q) -> None:
    cache = SegmentCache(Path(directory))
    start.wait()
    t0 = time.perf_counter()
    for i in range(n):
        cache.cache_put(key(writer, i), VALUE)
        if (i + 1) % shard == 0:
            cache.seal()
    cache.seal()
    t_ins = time.perf_counter() - t0
    start.wait()
    reader = SegmentCache(Path(directory))
    other = (writer + 1) % n_writers_of(directory)
    keys = [key(writer if i % 2 else other, i) for i in range(n)]
    t0 = time.perf_counter()
    hits = 0
    for at in range(0, n, shard):
        hits += sum(v is not None for v in reader.cache_get_many(keys[at : at + shard]))
    q.put((t_ins, time.perf_counter() - t0, hits))


def _sqlite(directory: str, writer: int, n: int, shard: int, start, q) -> None:
    conn = sqlite3.connect(
        os.path.join(directory, "state.sqlite"), timeout=60, isolation_level=None
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    start.wait()
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute(
            "INSERT OR REPLACE INTO request_cache VALUES(?, ?, ?)", (key(writer, i), VALUE, 0.0)
        )
    t_ins = time.perf_counter() - t0
    start.wait()
    other = (writer + 1) % n_writers_of(directory)
    keys = [key(writer if i % 2 else other, i) for i in range(n)]
    t0 = time.perf_counter()
    hits = 0
    for k in keys:
        hits += (
            conn.execute("SELECT value FROM request_cache WHERE key=?", (k,)).fetchone() is not None
        )
    q.put((t_ins, time.perf_counter() - t0, hits))


def _producer(directory: str, writer: int, n: int, shard: int, start, q) -> None:
    """A worker of the old Ray path: its answers go to the one writer, a shard at a time."""
    start.wait()
    batch = []
    for i in range(n):
        batch.append((key(writer, i), VALUE))
        if len(batch) == shard:
            q.put(batch)
            batch = []
    q.put(batch)
    q.put(None)
    start.wait()


def _one_writer(directory: str, writers: int, q, done) -> None:
    """The driver of the old Ray path: the only sqlite writer, a row per answer."""
    conn = sqlite3.connect(os.path.join(directory, "state.sqlite"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    finished = 0
    while finished < writers:
        batch = q.get()
        if batch is None:
            finished += 1
            continue
        for k, v in batch:
            conn.execute("INSERT OR REPLACE INTO request_cache VALUES(?, ?, ?)", (k, v, 0.0))
    done.put(True)


def run_one_writer(writers: int, n: int, shard: int) -> float:
    """Aggregate inserts/s when every answer goes to one sqlite writer."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        _create_sqlite(tmp)
        ctx = mp.get_context("spawn")
        start = ctx.Barrier(writers + 1)
        q, done = ctx.Queue(maxsize=64), ctx.Queue()
        sink = ctx.Process(target=_one_writer, args=(tmp, writers, q, done))
        sink.start()
        procs = [
            ctx.Process(target=_producer, args=(tmp, w, n, shard, start, q)) for w in range(writers)
        ]
        for p in procs:
            p.start()
        start.wait()
        t0 = time.perf_counter()
        done.get()  # every answer inserted
        t_ins = time.perf_counter() - t0
        start.wait()
        for p in [*procs, sink]:
            p.join()
        return writers * n / t_ins


def _create_sqlite(tmp: str) -> None:
    conn = sqlite3.connect(os.path.join(tmp, "state.sqlite"))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE request_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
        "created_at REAL NOT NULL)"
    )
    conn.close()


def n_writers_of(directory: str) -> int:
    return int(Path(directory, "writers").read_text())


def run(store: str, writers: int, n: int, shard: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        Path(tmp, "writers").write_text(str(writers))
        if store == "sqlite":
            _create_sqlite(tmp)
        ctx = mp.get_context("spawn")
        start = ctx.Barrier(writers + 1)
        q = ctx.Queue()
        target = _segments if store == "segments" else _sqlite
        procs = [
            ctx.Process(target=target, args=(tmp, w, n, shard, start, q)) for w in range(writers)
        ]
        for p in procs:
            p.start()
        start.wait()
        t0 = time.perf_counter()
        start.wait()  # every writer done inserting
        t_ins = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = [q.get() for _ in procs]
        t_look = time.perf_counter() - t0
        for p in procs:
            p.join()
        hits = sum(r[2] for r in results)
        # each writer times its own lookups (all start at the barrier): the slowest is the wall
        t_look = max(r[1] for r in results)
        return writers * n / t_ins, writers * n / t_look, hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-writer", type=int, default=6000)
    parser.add_argument("--shard", type=int, default=70)
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=3, help="best of (a shared machine)")
    args = parser.parse_args()
    counts = [int(x) for x in args.writers.split(",")]
    print(
        f"{args.per_writer} answers of {len(VALUE)} B per writer, sealed every {args.shard}; "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'store':<9}{'writers':>8}{'inserts/s':>12}{'x1':>6}{'lookups/s':>12}{'x1':>6}{'hits':>8}"
    )
    for store in ("segments", "sqlite"):
        base: tuple[float, float] | None = None
        for w in counts:
            runs = [run(store, w, args.per_writer, args.shard) for _ in range(args.repeat)]
            ins, look = max(r[0] for r in runs), max(r[1] for r in runs)
            hits = min(r[2] for r in runs)
            base = base or (ins, look)
            print(
                f"{store:<9}{w:>8}{ins:>12,.0f}{ins / base[0]:>6.2f}{look:>12,.0f}"
                f"{look / base[1]:>6.2f}{hits:>8}"
            )
    base_one: float | None = None
    for w in counts:
        ins = max(run_one_writer(w, args.per_writer, args.shard) for _ in range(args.repeat))
        base_one = base_one or ins
        print(f"{'sqlite-1w':<9}{w:>8}{ins:>12,.0f}{ins / base_one:>6.2f}{'-':>12}{'-':>6}{'-':>8}")
    print(
        f"one sqlite writer fed pre-built rows (its ceiling): {sqlite_ceiling(args.per_writer * 4):,.0f}/s"
    )
    lookups_by_index_count(args.repeat)


def sqlite_ceiling(n: int) -> float:
    """The most inserts/s one sqlite writer does here (rows built beforehand): the old Ray
    path's aggregate, however many workers, stays under it."""
    rows = [(key(0, i), VALUE, 0.0) for i in range(n)]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        _create_sqlite(tmp)
        conn = sqlite3.connect(os.path.join(tmp, "state.sqlite"), isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        t0 = time.perf_counter()
        for row in rows:
            conn.execute("INSERT OR REPLACE INTO request_cache VALUES(?, ?, ?)", row)
        return n / (time.perf_counter() - t0)


def lookups_by_index_count(repeat: int) -> None:
    """One process's lookups/s as sealed indexes pile up (merges off), hits and misses."""
    print(f"{'indexes':>8}{'hits/s':>10}{'misses/s':>10}{'us/index/batch':>16}")
    for n_idx in (10, 100, 400):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
            cache = SegmentCache(Path(tmp))
            cache.compact = lambda fanout=0: None  # type: ignore[method-assign]
            for j in range(n_idx):
                for i in range(50):
                    cache.cache_put(key(j, i), VALUE)
                cache.seal()
            reader = SegmentCache(Path(tmp))
            rates = []
            for salt in (0, 1_000_000):  # present, absent
                keys = [key(j, i + salt) for j in range(n_idx) for i in range(0, 50, 5)][:4000]
                best = 0.0
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    for at in range(0, len(keys), 64):
                        reader.cache_get_many(keys[at : at + 64])
                    best = max(best, len(keys) / (time.perf_counter() - t0))
                rates.append(best)
            per = 64 / rates[1] / n_idx * 1e6
            print(f"{n_idx:>8}{rates[0]:>10,.0f}{rates[1]:>10,.0f}{per:>16.1f}")


if __name__ == "__main__":
    main()
