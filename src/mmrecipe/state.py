"""The run's state store: finished shards and their stats in sqlite, the model request cache in
segments beside it (``state/cache/``, :mod:`mmrecipe.segments`).

sqlite keeps only what is small (a row per shard): ``RUN_DIR/state/state.sqlite``, in WAL mode so readers and the writer do not block
each other. A finished shard is recorded only after its files were renamed into place, so a
crash loses at most the shards in flight.

Beside each finished shard the store keeps what it read (``shard_inputs``: a fingerprint of its
input samples and their ``id:digest`` list, see :mod:`mmrecipe.resume`) and how many of its
rejects were transient (server errors, time-outs): a rerun redoes a shard whose input changed or
that had transient rejects.

The request cache is the segment store: every process writes its own segments and reads
everyone's, so one run dir answers from its cache under the local and the Ray executor alike.
A run dir from before the segments kept the cache in sqlite's ``request_cache`` table: lookups
still read it, and ``migrate_cache`` (called by a run, holding the run lock) moves it into a
segment and empties the table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: rows of an old sqlite request cache moved per segment
_MIGRATE_BATCH = 100_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shards (
    phase INTEGER NOT NULL, shard INTEGER NOT NULL, n_in INTEGER NOT NULL, n_out INTEGER NOT NULL,
    stats TEXT NOT NULL, finished_at REAL NOT NULL, PRIMARY KEY (phase, shard));
CREATE TABLE IF NOT EXISTS request_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS barrier_stats (phase INTEGER PRIMARY KEY, stats TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shard_inputs (
    phase INTEGER NOT NULL, shard INTEGER NOT NULL, fingerprint TEXT, items TEXT,
    transient INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (phase, shard));
"""


class StateStore:
    """Thread-safe access to the run's sqlite state."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        from mmrecipe.segments import SegmentCache  # numpy: not for `mmrecipe validate`

        self.cache = SegmentCache(path.parent / "cache")
        self._legacy = (
            self._conn.execute("SELECT 1 FROM request_cache LIMIT 1").fetchone() is not None
        )

    def close(self) -> None:
        self.cache.close()
        with self._lock:
            self._conn.close()

    # meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    # shards -----------------------------------------------------------------------------
    def finished_shards(self, phase: int) -> set[int]:
        with self._lock:
            rows = self._conn.execute("SELECT shard FROM shards WHERE phase=?", (phase,))
            return {r[0] for r in rows}

    def mark_finished(
        self,
        phase: int,
        shard: int,
        n_in: int,
        n_out: int,
        stats: dict[str, Any],
        *,
        fingerprint: str | None = None,
        items: list[str] | None = None,
        transient: int = 0,
    ) -> None:
        """Record a finished shard, with what it read and its transient rejects, at once; the
        answers this process paid for are sealed first (readable by every worker)."""
        self.cache.seal()
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO shards VALUES(?, ?, ?, ?, ?, ?)",
                    (phase, shard, n_in, n_out, json.dumps(stats), time.time()),
                )
                self._conn.execute(
                    "INSERT OR REPLACE INTO shard_inputs VALUES(?, ?, ?, ?, ?)",
                    (
                        phase,
                        shard,
                        fingerprint,
                        json.dumps(items) if items is not None else None,
                        transient,
                    ),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def shard_records(self, phase: int) -> dict[int, tuple[str | None, int]]:
        """Finished shards of a phase: shard -> (input fingerprint, transient rejects).

        Shards finished by a version that recorded no inputs have fingerprint None."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.shard, i.fingerprint, COALESCE(i.transient, 0) FROM shards s "
                "LEFT JOIN shard_inputs i ON i.phase = s.phase AND i.shard = s.shard "
                "WHERE s.phase=?",
                (phase,),
            )
            return {r[0]: (r[1], r[2]) for r in rows}

    def shard_items(self, phase: int, shard: int) -> list[str]:
        """The ``id:digest`` items a finished shard read (empty when not recorded)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT items FROM shard_inputs WHERE phase=? AND shard=?", (phase, shard)
            ).fetchone()
        return json.loads(row[0]) if row and row[0] else []

    def forget_shards(self, phase: int, from_shard: int = 0) -> None:
        """Forget finished shards of ``phase`` from ``from_shard`` on (to be redone or gone)."""
        with self._lock:
            for table in ("shards", "shard_inputs"):
                self._conn.execute(
                    f"DELETE FROM {table} WHERE phase=? AND shard>=?", (phase, from_shard)
                )

    def forget_phases_after(self, phase: int) -> None:
        """Forget every finished shard of the phases after ``phase`` (their input changes)."""
        with self._lock:
            for table in ("shards", "shard_inputs"):
                self._conn.execute(f"DELETE FROM {table} WHERE phase>?", (phase,))
            self._conn.execute("DELETE FROM barrier_stats WHERE phase>?", (phase,))

    def transient_total(self) -> int:
        """Transient rejects over every finished shard (the next run redoes their shards)."""
        with self._lock:
            row = self._conn.execute("SELECT SUM(transient) FROM shard_inputs").fetchone()
        return row[0] or 0

    def shard_stats(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """Every finished shard's stats, in order, a page of rows at a time (a run of a
        million shards is merged without holding them all)."""
        after = (-1, -1)
        while True:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT phase, shard, stats FROM shards WHERE (phase, shard) > (?, ?) "
                    "ORDER BY phase, shard LIMIT 1000",
                    after,
                ).fetchall()
            if not rows:
                return
            for p, s, st in rows:
                yield p, s, json.loads(st)
            after = (rows[-1][0], rows[-1][1])

    def last_phase(self) -> int | None:
        with self._lock:
            row = self._conn.execute("SELECT MAX(phase) FROM shards").fetchone()
        return row[0] if row else None

    def kept_in_phase(self, phase: int) -> int:
        with self._lock:
            row = self._conn.execute("SELECT SUM(n_out) FROM shards WHERE phase=?", (phase,))
            return row.fetchone()[0] or 0

    def set_barrier_stats(self, phase: int, stats: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO barrier_stats VALUES(?, ?)", (phase, json.dumps(stats))
            )

    def barrier_stats(self) -> dict[int, dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT phase, stats FROM barrier_stats")
            return {p: json.loads(s) for p, s in rows}

    def reset_shards(self) -> None:
        """Forget finished shards (the recipe changed); the request cache is kept."""
        with self._lock:
            self._conn.execute("DELETE FROM shards")
            self._conn.execute("DELETE FROM shard_inputs")
            self._conn.execute("DELETE FROM barrier_stats")
            self._conn.execute("DELETE FROM meta WHERE key LIKE 'phase%\\_shards' ESCAPE '\\'")

    # request cache (segments; an old run dir's sqlite table is still read) ----------------
    @property
    def answers_dir(self) -> Path:
        return self.cache.answers_dir

    def cache_get(self, key: str) -> str | None:
        return self.cache_get_many([key])[0]

    def cache_get_many(self, keys: list[str]) -> list[str | None]:
        out = self.cache.cache_get_many(keys)
        if self._legacy:
            with self._lock:
                for i, key in enumerate(keys):
                    if out[i] is None:
                        row = self._conn.execute(
                            "SELECT value FROM request_cache WHERE key=?", (key,)
                        ).fetchone()
                        out[i] = row[0] if row else None
        return out

    def cache_put(self, key: str, value: str) -> None:
        self.cache.cache_put(key, value)

    def cache_size(self) -> int:
        legacy = 0
        if self._legacy:
            with self._lock:
                legacy = self._conn.execute("SELECT COUNT(*) FROM request_cache").fetchone()[0]
        return self.cache.size() + legacy

    def migrate_cache(self) -> int:
        """Move an old run dir's sqlite cache into segments and seal the answers of a writer
        that died unsealed (only while holding the run lock: no other writer is alive).
        Returns the answers moved or recovered."""
        moved = self.cache.recover()
        if not self._legacy:
            return moved
        last = ""
        while True:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT key, value FROM request_cache WHERE key > ? ORDER BY key LIMIT ?",
                    (last, _MIGRATE_BATCH),
                ).fetchall()
            if not rows:
                break
            for key, value in rows:
                self.cache.cache_put(key, value)
            self.cache.seal()
            moved += len(rows)
            last = rows[-1][0]
        with self._lock:
            self._conn.execute("DELETE FROM request_cache")
            self._legacy = False
        return moved
