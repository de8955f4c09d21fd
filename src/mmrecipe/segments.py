"""The request cache's store: append-only segments written by every worker, read by every worker.

``RUN_DIR/state/cache/`` holds, per writer (a local run, a Ray task process, a model actor):

* ``<writer>-<seq>.seg``: the answers it paid for, appended as ``key(16) len(4) value``;
* ``L0-<writer>-<seq>.idx``: written when the shard that paid them finishes (``seal``), the
  segment's sorted keys, where each value lies, and a Bloom filter; immutable from then on.

A lookup lists the sealed indexes (again after ``REFRESH_S``), memory-maps them and asks each,
newest first, with numpy over the whole batch of keys: the Bloom filter (10 bits a key, 7
probes in one 512-bit block, ~1-2% false positives) rules a segment out touching one page of
its filter, a binary
search over its sorted keys finds the value's place, a ``pread`` reads it. Nothing goes through
the driver, so inserts and lookups scale with the workers. A shard seals one segment, so
segments would pile up with the shards; the indexes are compacted LSM-style: when ``FANOUT``
indexes of one level exist, the writer that sealed the last one merges them into one index of
the next level (keys only: the merged index points into the same data files, no answer is
copied). A run of N shards keeps at most ``FANOUT`` indexes per level, ~``FANOUT * log(N) /
log(FANOUT)`` in all (100k shards: < 80). A merge is claimed with an ``O_EXCL`` lock file;
inputs are unlinked only after the merged index is in place, so a reader sees every key at any
moment (a reader that listed a now-gone index lists again). Merges stop at
``MAX_MERGE_ENTRIES`` (50M keys, ~1.6 GB to sort on the merging worker): 7B answers end in
~140 such indexes plus < 16 per lower level, each ruled out per key by its Bloom filter.

Why this and not the alternatives (``benchmarks/cache_scale.py``): one sqlite file has one
writer at a time, and its WAL needs shared memory, which network storage does not give, so
every answer of a Ray run had to travel to the driver; a key-range partitioning (writer w owns
keys with prefix p) makes every insert a remote call to the partition's owner; a per-writer
sqlite file needs a query per file per lookup and its WAL has the same network-storage problem.
Segments with sorted keys need only append, rename and read on the shared storage.

A crash leaves a ``.seg`` without index: the next run (holding the run lock, so no writer is
alive) scans it up to its last whole record and seals it, so answers paid before a crash are
kept. An old run dir's sqlite ``request_cache`` table is moved into a segment the same way
(``state.py``).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"MMRCIDX2"
#: bits of Bloom filter per key and probes per lookup (~1% false positives)
BLOOM_BITS = 10
BLOOM_K = 7
BLOCK_BITS = 512
#: indexes of one level merged into one of the next
FANOUT = 16
#: a merge of more entries than this is not done (its arrays are sorted in memory: ~32 bytes
#: an entry, so at most ~1.6 GB on the worker that merges); the indexes above stay as they are
MAX_MERGE_ENTRIES = 50_000_000
#: a reader lists the sealed indexes again after this many seconds
REFRESH_S = 2.0
#: a merge lock older than this was left by a dead writer
STALE_LOCK_S = 600.0
_REC = struct.Struct("<16sI")


def key_words(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The first 128 bits of each hex sha256 key as two big-endian uint64 (sortable) words."""
    raw = b"".join(bytes.fromhex(k[:32]) for k in keys)
    words = np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 2)
    return words[:, 0].copy(), words[:, 1].copy()


def _bloom_positions(hi: np.ndarray, lo: np.ndarray, m_bits: int) -> np.ndarray:
    """(n, K) bit positions of a blocked Bloom filter: a key's K bits lie in one 512-bit block
    (one cache line, one page), picked by its first word; 9-bit slices of its second word
    place the bits in the block. A lookup touches one page of a filter, not K."""
    block = (hi % np.uint64(m_bits // BLOCK_BITS)).astype(np.int64) * BLOCK_BITS
    shifts = np.arange(BLOOM_K, dtype=np.uint64) * np.uint64(9)
    inner = ((lo[:, None] >> shifts[None, :]) & np.uint64(BLOCK_BITS - 1)).astype(np.int64)
    return block[:, None] + inner


def _bloom(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, int]:
    m_bits = max(1, (len(hi) * BLOOM_BITS + BLOCK_BITS - 1) // BLOCK_BITS) * BLOCK_BITS
    bits = np.zeros(m_bits // 8, dtype=np.uint8)
    pos = _bloom_positions(hi, lo, m_bits).ravel()
    np.bitwise_or.at(bits, pos >> 3, (1 << (pos & 7)).astype(np.uint8))
    return bits, m_bits


def write_index(
    path: Path,
    files: list[str],
    hi: np.ndarray,
    lo: np.ndarray,
    file_no: np.ndarray,
    offset: np.ndarray,
    length: np.ndarray,
    level: int,
) -> None:
    """Write an index (sorted by key, the first of equal keys kept), atomically."""
    order = np.lexsort((lo, hi))
    hi, lo = hi[order], lo[order]
    keep = np.ones(len(hi), dtype=bool)
    keep[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    order = order[keep]
    hi, lo = hi[keep], lo[keep]
    bits, m_bits = _bloom(hi, lo)
    header = json.dumps({"n": len(hi), "m_bits": m_bits, "files": files, "level": level}).encode()
    head = MAGIC + struct.pack("<I", len(header)) + header
    head += b"\0" * (-len(head) % 8)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(head)
        fh.write(bits.tobytes())
        for arr, dtype in (
            (hi, "<u8"),
            (lo, "<u8"),
            (offset[order], "<u8"),
            (file_no[order], "<u4"),
            (length[order], "<u4"),
        ):
            fh.write(np.ascontiguousarray(arr, dtype=dtype).tobytes())
    os.replace(tmp, path)


@dataclass
class SegmentIndex:
    """A sealed index, memory-mapped."""

    name: str
    files: list[str]
    level: int
    bits: np.ndarray
    m_bits: int
    hi: np.ndarray
    lo: np.ndarray
    offset: np.ndarray
    file_no: np.ndarray
    length: np.ndarray

    @classmethod
    def open(cls, path: Path) -> SegmentIndex:
        with open(path, "rb") as fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        if mm[:8] != MAGIC:
            raise ValueError(f"{path} is not a cache index")
        (hlen,) = struct.unpack_from("<I", mm, 8)
        header = json.loads(mm[12 : 12 + hlen])
        pos = 12 + hlen
        pos += -pos % 8
        n, m_bits = header["n"], header["m_bits"]
        buf = memoryview(mm)
        bits = np.frombuffer(buf, np.uint8, m_bits // 8, pos)
        pos += m_bits // 8
        arrays = []
        for dtype, size in (("<u8", 8), ("<u8", 8), ("<u8", 8), ("<u4", 4), ("<u4", 4)):
            arrays.append(np.frombuffer(buf, dtype, n, pos))
            pos += n * size
        return cls(path.name, header["files"], header["level"], bits, m_bits, *arrays)

    def find(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """Per key: its entry number here, or -1."""
        out = np.full(len(hi), -1, dtype=np.int64)
        if len(self.hi) == 0 or len(hi) == 0:
            return out
        pos = _bloom_positions(hi, lo, self.m_bits)
        maybe = ((self.bits[pos >> 3] >> (pos & 7).astype(np.uint8)) & 1).all(axis=1)
        cand = np.nonzero(maybe)[0]
        if len(cand) == 0:
            return out
        at = np.searchsorted(self.hi, hi[cand], side="left")
        inside = at < len(self.hi)
        safe = np.minimum(at, len(self.hi) - 1)
        exact = inside & (self.hi[safe] == hi[cand]) & (self.lo[safe] == lo[cand])
        out[cand[exact]] = at[exact]
        # two keys sharing their first 64 bits (rare): look past the first
        for c, i in zip(cand[~exact].tolist(), at[~exact].tolist(), strict=True):
            while i < len(self.hi) and self.hi[i] == hi[c]:
                if self.lo[i] == lo[c]:
                    out[c] = i
                    break
                i += 1
        return out


def _entries(path: Path) -> int:
    """An index's entry count, from its header (0 when it is gone)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            (hlen,) = struct.unpack_from("<I", head, 8)
            return int(json.loads(fh.read(hlen))["n"])
    except (OSError, ValueError, struct.error, KeyError):
        return 0


class SegmentCache:
    """The request cache of one run dir as one process sees it: its own writer, every sealed
    segment for lookups. Thread-safe. ``CachedBackend`` calls it like the state store."""

    def __init__(self, directory: Path, writer: str | None = None) -> None:
        self.dir = Path(directory)
        self.writer = writer or f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._seq = 0
        self._fh = None
        self._entries: list[tuple[str, int, int]] = []
        self._fresh: dict[str, str] = {}
        self._indexes: dict[str, SegmentIndex] = {}
        self._listed = 0.0
        self._fds: dict[str, int] = {}

    @property
    def answers_dir(self) -> Path:
        """Long answers live beside the cache, as files (``CachedBackend``)."""
        return self.dir.parent / "answers"

    # writing ----------------------------------------------------------------------------
    def _seg_name(self) -> str:
        return f"{self.writer}-{self._seq:06d}.seg"

    def cache_put(self, key: str, value: str) -> None:
        raw = value.encode("utf-8", "surrogatepass")
        with self._lock:
            if self._fh is None:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.dir / self._seg_name(), "ab")  # noqa: SIM115
            offset = self._fh.tell() + _REC.size
            self._fh.write(_REC.pack(bytes.fromhex(key[:32]), len(raw)) + raw)
            self._entries.append((key, offset, len(raw)))
            self._fresh[key] = value

    def seal(self) -> bool:
        """Make what this writer appended visible to every process (a shard finished); then
        compact a full level. False when there was nothing to seal."""
        with self._lock:
            if self._fh is None:
                return False
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
            name = self._seg_name()
            keys = [k for k, _, _ in self._entries]
            offsets = np.array([o for _, o, _ in self._entries], dtype=np.uint64)
            lengths = np.array([n for _, _, n in self._entries], dtype=np.uint32)
            self._entries = []
            self._seq += 1
        self._write_l0(name, keys, offsets, lengths)
        with self._lock:
            for key in keys:  # readable from the index now (later puts stay here)
                self._fresh.pop(key, None)
            self._listed = 0.0  # list again at the next lookup
        self.compact()
        return True

    def _write_l0(
        self, seg: str, keys: list[str], offsets: np.ndarray, lengths: np.ndarray
    ) -> None:
        hi, lo = key_words(keys)
        file_no = np.zeros(len(keys), dtype=np.uint32)
        # later entries of one key win: reverse so that the first of equal keys is the newest
        write_index(
            self.dir / f"L0-{seg[:-4]}.idx",
            [seg],
            hi[::-1].copy(),
            lo[::-1].copy(),
            file_no,
            offsets[::-1].copy(),
            lengths[::-1].copy(),
            0,
        )

    def recover(self) -> int:
        """Seal every segment no index refers to (its writer died before sealing): only while
        no writer is alive (the run lock is held). Returns the answers recovered."""
        if not self.dir.is_dir():
            return 0
        for tmp in self.dir.glob("*.idx.tmp*"):  # an index write cut short
            tmp.unlink(missing_ok=True)
        referred: set[str] = set()
        for idx in self.dir.glob("*.idx"):
            try:
                referred.update(SegmentIndex.open(idx).files)
            except (OSError, ValueError):
                continue
        found = 0
        for seg in sorted(self.dir.glob("*.seg")):
            if seg.name in referred:
                continue
            keys, offsets, lengths = [], [], []
            data = seg.read_bytes()
            pos = 0
            while pos + _REC.size <= len(data):
                key, n = _REC.unpack_from(data, pos)
                if pos + _REC.size + n > len(data):
                    break
                keys.append(key.hex())
                offsets.append(pos + _REC.size)
                lengths.append(n)
                pos += _REC.size + n
            if keys:
                self._write_l0(
                    seg.name,
                    keys,
                    np.array(offsets, dtype=np.uint64),
                    np.array(lengths, dtype=np.uint32),
                )
                found += len(keys)
        self._listed = 0.0
        return found

    # compaction -------------------------------------------------------------------------
    def compact(self, fanout: int = FANOUT) -> None:
        """Merge ``fanout`` indexes of a level into one of the next (keys only), if a level is
        full and no other writer is merging it."""
        for level in range(64):
            names = sorted(p.name for p in self.dir.glob(f"L{level}-*.idx"))
            if len(names) < fanout:
                return
            if sum(_entries(self.dir / n) for n in names[:fanout]) > MAX_MERGE_ENTRIES:
                return
            lock = self.dir / f"L{level}.merging"
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    if time.time() - lock.stat().st_mtime > STALE_LOCK_S:
                        lock.unlink(missing_ok=True)
                except OSError:
                    pass
                return
            os.close(fd)
            try:
                self._merge(names[:fanout], level + 1)
            finally:
                lock.unlink(missing_ok=True)

    def _merge(self, names: list[str], level: int) -> None:
        parts = []
        for name in names:
            try:
                parts.append(SegmentIndex.open(self.dir / name))
            except FileNotFoundError:
                continue
        files: list[str] = []
        cols: list[list[np.ndarray]] = [[], [], [], [], []]
        for part in reversed(parts):  # newest first: the first of equal keys is kept
            base = len(files)
            files.extend(part.files)
            for col, arr in zip(
                cols,
                (part.hi, part.lo, part.offset, part.file_no.astype(np.uint32) + base, part.length),
                strict=True,
            ):
                col.append(np.asarray(arr))
        merged = [np.concatenate(c) if c else np.zeros(0, np.uint64) for c in cols]
        hi, lo, offset, file_no, length = merged
        out = self.dir / f"L{level}-{self.writer}-{uuid.uuid4().hex[:8]}.idx"
        write_index(out, files, hi, lo, file_no, offset, length, level)
        for part in parts:
            (self.dir / part.name).unlink(missing_ok=True)
        with self._lock:
            self._listed = 0.0

    # reading ----------------------------------------------------------------------------
    def _refresh(self, force: bool = False) -> list[SegmentIndex]:
        with self._lock:
            if force or time.monotonic() - self._listed > REFRESH_S:
                try:
                    names = {p.name for p in self.dir.glob("*.idx")}
                except OSError:
                    names = set()
                for gone in set(self._indexes) - names:
                    del self._indexes[gone]
                for name in names - set(self._indexes):
                    try:
                        self._indexes[name] = SegmentIndex.open(self.dir / name)
                    except (OSError, ValueError):
                        continue  # merged away meanwhile: the merged index is listed
                self._listed = time.monotonic()
            # the small, recent levels first (a key's answers in two segments are equal)
            return sorted(self._indexes.values(), key=lambda x: (x.level, x.name))

    def cache_get(self, key: str) -> str | None:
        return self.cache_get_many([key])[0]

    def cache_get_many(self, keys: list[str]) -> list[str | None]:
        out: list[str | None] = [None] * len(keys)
        with self._lock:
            for i, key in enumerate(keys):
                out[i] = self._fresh.get(key)
        todo = [i for i, v in enumerate(out) if v is None]
        if not todo or not self.dir.is_dir():
            return out
        hi, lo = key_words([keys[i] for i in todo])
        left = np.arange(len(todo))
        for index in self._refresh():
            if len(left) == 0:
                break
            found = index.find(hi[left], lo[left])
            hit = found >= 0
            for j, entry in zip(left[hit].tolist(), found[hit].tolist(), strict=True):
                value = self._read(index, entry)
                if value is not None:
                    out[todo[j]] = value
            left = left[~hit]
        return out

    def _read(self, index: SegmentIndex, entry: int) -> str | None:
        """The value of an index entry, read with its record header: a record whose key is
        not the entry's (a torn write, a damaged file) is a miss, never a wrong answer."""
        name = index.files[int(index.file_no[entry])]
        n = int(index.length[entry])
        start = int(index.offset[entry]) - _REC.size
        with self._lock:  # an fd is not closed (and its number reused) while it is read
            fd = self._fds.get(name)
            if fd is None:
                try:
                    fd = os.open(self.dir / name, os.O_RDONLY)
                except OSError:
                    return None
                if len(self._fds) > 256:
                    for old in self._fds.values():
                        os.close(old)
                    self._fds.clear()
                self._fds[name] = fd
            raw = os.pread(fd, _REC.size + n, start)
        if len(raw) != _REC.size + n:
            return None
        key, length = _REC.unpack_from(raw, 0)
        want = int(index.hi[entry]).to_bytes(8, "big") + int(index.lo[entry]).to_bytes(8, "big")
        if key != want or length != n:
            return None
        return raw[_REC.size :].decode("utf-8", "surrogatepass")

    def size(self) -> int:
        """Entries over every sealed index and this writer's unsealed ones (a key stored
        twice counts twice)."""
        sealed = sum(len(ix.hi) for ix in self._refresh(force=True))
        with self._lock:
            return sealed + len(self._entries)

    def close(self) -> None:
        self.seal()
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()
            self._indexes.clear()
