"""The segment store of the request cache: every writer's sealed answers are found by every
reader, merges lose nothing, a writer that died unsealed is recovered, an old sqlite cache is
moved over."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
from pathlib import Path

from mmrecipe.segments import SegmentCache, SegmentIndex
from mmrecipe.state import StateStore


def key(i: int, salt: str = "") -> str:
    return hashlib.sha256(f"{salt}{i}".encode()).hexdigest()


def _write(directory: str, writer: int, n: int) -> None:
    cache = SegmentCache(Path(directory))
    for shard in range(3):
        for i in range(n):
            cache.cache_put(key(i, f"w{writer}s{shard}"), f"answer {writer}/{shard}/{i} é")
        cache.seal()


def test_sealed_answers_of_every_writer_are_found(tmp_path: Path) -> None:
    procs = [
        multiprocessing.get_context("spawn").Process(target=_write, args=(str(tmp_path), w, 50))
        for w in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    reader = SegmentCache(tmp_path)
    keys = [key(i, f"w{w}s{s}") for w in range(3) for s in range(3) for i in range(50)]
    got = reader.cache_get_many(keys + [key(i, "absent") for i in range(200)])
    assert got[: len(keys)] == [
        f"answer {w}/{s}/{i} é" for w in range(3) for s in range(3) for i in range(50)
    ]
    assert got[len(keys) :] == [None] * 200  # a Bloom false positive still misses
    assert reader.size() == len(keys)


def test_unsealed_answers_are_read_by_their_writer_only(tmp_path: Path) -> None:
    writer = SegmentCache(tmp_path)
    writer.cache_put(key(1), "one")
    assert writer.cache_get(key(1)) == "one"
    assert SegmentCache(tmp_path).cache_get(key(1)) is None
    writer.seal()
    assert SegmentCache(tmp_path).cache_get(key(1)) == "one"


def test_merges_keep_every_key_and_the_latest_answer(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path)
    for shard in range(40):
        for i in range(20):
            cache.cache_put(key(shard * 20 + i), f"v{shard * 20 + i}")
        cache.seal()
    cache.cache_put(key(0), "newer")
    cache.seal()
    names = sorted(p.name for p in tmp_path.glob("*.idx"))
    # 41 L0 indexes at fanout 16: two merges into level 1, 9 L0 left
    assert sum(n.startswith("L1-") for n in names) == 2
    assert sum(n.startswith("L0-") for n in names) == 9
    reader = SegmentCache(tmp_path)
    assert reader.cache_get_many([key(i) for i in range(1, 800)]) == [
        f"v{i}" for i in range(1, 800)
    ]
    assert reader.cache_get(key(0)) == "newer"
    merged = [SegmentIndex.open(tmp_path / n) for n in names if n.startswith("L1-")]
    assert all(len(ix.files) == 16 for ix in merged)  # keys only: the data files stay


def test_a_writer_that_died_unsealed_is_recovered(tmp_path: Path) -> None:
    dead = SegmentCache(tmp_path)
    for i in range(10):
        dead.cache_put(key(i), f"v{i}")
    dead._fh.flush()  # the process dies here: no index
    seg = next(tmp_path.glob("*.seg"))
    with open(seg, "ab") as fh:
        fh.write(b"\x01" * 7)  # a record cut short by the crash
    fresh = SegmentCache(tmp_path)
    assert fresh.cache_get(key(3)) is None
    assert fresh.recover() == 10
    assert SegmentCache(tmp_path).cache_get_many([key(i) for i in range(10)]) == [
        f"v{i}" for i in range(10)
    ]
    assert fresh.recover() == 0  # sealed now


def test_an_old_sqlite_cache_is_read_then_moved_into_segments(tmp_path: Path) -> None:
    db = tmp_path / "state" / "state.sqlite"
    StateStore(db).close()
    with sqlite3.connect(db) as conn:  # an old run dir: answers in the sqlite table
        conn.executemany(
            "INSERT INTO request_cache VALUES(?, ?, 0)", [(key(i), f"old{i}") for i in range(5)]
        )
    state = StateStore(db)
    assert state.cache_get(key(2)) == "old2" and state.cache_size() == 5
    assert state.migrate_cache() == 5
    assert SegmentCache(tmp_path / "state" / "cache").cache_get(key(4)) == "old4"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM request_cache").fetchone()[0] == 0
    assert state.cache_get(key(2)) == "old2" and state.cache_size() == 5
    state.close()


def test_merges_stop_at_their_size_cap(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("mmrecipe.segments.MAX_MERGE_ENTRIES", 100)
    cache = SegmentCache(tmp_path)
    for shard in range(17):
        for i in range(10):
            cache.cache_put(key(shard * 10 + i), "v")
        cache.seal()
    assert not list(tmp_path.glob("L1-*.idx"))  # 160 entries would exceed the cap
    assert SegmentCache(tmp_path).size() == 170


def test_a_damaged_record_is_a_miss_not_a_wrong_answer(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path)
    cache.cache_put(key(1), "first")
    cache.cache_put(key(2), "second")
    cache.seal()
    seg = next(tmp_path.glob("*.seg"))
    data = bytearray(seg.read_bytes())
    data[0] ^= 0xFF  # the first record's key, as a torn write would leave it
    seg.write_bytes(bytes(data))
    assert SegmentCache(tmp_path).cache_get_many([key(1), key(2)]) == [None, "second"]
