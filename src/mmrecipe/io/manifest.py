"""Manifest inputs: a list of a folder's files (JSONL or Parquet) read instead of listing it.

Listing a folder of a billion files is a serial walk on one machine; a manifest is built once,
in parallel (``mmrecipe manifest DIR -o FILE``: one thread per subfolder), and read by ranges:
a Parquet manifest's row groups are read by a thread pool a few ranges ahead, and its count
comes from its footer, so a run starts without walking anything. Each entry is
``{"path": relative, "size": ..., "mtime_ns": ..., "sha256": optional, "metadata": optional}``
in the folder reader's order (a folder's files sorted, then its subfolders sorted, as
``os.walk`` with sorted names), so a manifest run cuts the same shards with the same sample ids
as reading the folder, and its outputs are byte-identical.

A manifest is as untrusted as the dataset: every entry is held to the dataset-root rules of
``ImageRoot.resolve`` (relative only, no ``..``, a symlink out of the root refused, only
regular files), and a claimed ``size``/``sha256`` is never used: dedup hashes the bytes it
reads, and the resume fingerprint stats the file itself (``resume.sample_digest``), so an edited
image changes its shard's fingerprint whatever the manifest says. ``metadata`` (an object) is
kept in the sample's ``fields["metadata"]``.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mmrecipe.errors import InputError
from mmrecipe.io.base import ImageRefused, ImageRoot, encodable
from mmrecipe.sample import ImageRef, Sample, stable_id

#: entries per range when reading a manifest in parallel, and ranges read ahead
RANGE_ROWS = 8192
READ_AHEAD = 4
#: a manifest line longer than this is one reject, not read into memory whole
MAX_LINE_BYTES = 64 * 1024


def _walk(top: Path, extensions: frozenset[str], recursive: bool) -> list[dict[str, Any]]:
    """One subfolder's entries, in the folder reader's order (regular files only)."""
    out: list[dict[str, Any]] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        if not recursive:
            dirnames.clear()
        for name in sorted(filenames):
            if Path(name).suffix.lower() not in extensions:
                continue
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # a symlink, FIFO or device: not listed
            out.append({"path": full, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return out


def build_manifest(
    root: Path,
    out: Path,
    *,
    extensions: frozenset[str] | None = None,
    threads: int = 16,
    recursive: bool = True,
) -> int:
    """Write ``root``'s image files to ``out`` (``.jsonl`` or ``.parquet``); subfolders are
    walked by ``threads`` threads, written in order. Returns the number of entries."""
    from mmrecipe.io.image_folder import IMAGE_EXTENSIONS

    exts = extensions or IMAGE_EXTENSIONS
    root = root.absolute()
    with os.scandir(root) as it:
        entries = sorted(it, key=lambda e: e.name)
    top_files: list[dict[str, Any]] = []
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and Path(entry.name).suffix.lower() in exts:
            st = entry.stat(follow_symlinks=False)
            top_files.append({"path": entry.path, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    subdirs = [Path(e.path) for e in entries if recursive and e.is_dir(follow_symlinks=False)]
    writer = _ManifestWriter(out)
    count = 0
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = pool.map(lambda d: _walk(d, exts, recursive), subdirs)
            for part in [top_files, *parts]:
                for row in part:
                    row["path"] = os.path.relpath(row["path"], root).replace(os.sep, "/")
                writer.write(part)
                count += len(part)
    finally:
        writer.close()
    return count


class _ManifestWriter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp = out.with_name(out.name + ".tmp")
        self.parquet = out.suffix == ".parquet"
        self._fh: Any = None
        self._pq: Any = None
        self._rows: list[dict[str, Any]] = []

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not self.parquet:
            if self._fh is None:
                self._fh = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115
            for row in rows:
                self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        self._rows.extend(rows)
        if len(self._rows) >= RANGE_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(
            {
                "path": pa.array([r["path"] for r in self._rows], pa.string()),
                "size": pa.array([r["size"] for r in self._rows], pa.int64()),
                "mtime_ns": pa.array([r["mtime_ns"] for r in self._rows], pa.int64()),
            }
        )
        if self._pq is None:
            self._pq = pq.ParquetWriter(str(self.tmp), table.schema)
        self._pq.write_table(table, row_group_size=RANGE_ROWS)
        self._rows = []

    def close(self) -> None:
        if self.parquet:
            if self._rows or self._pq is None:
                self._flush()
            self._pq.close()
        elif self._fh is not None:
            self._fh.close()
        else:
            self.tmp.write_text("")
        os.replace(self.tmp, self.out)


class ManifestReader:
    """A folder read from its manifest: the folder reader's samples, without listing."""

    def __init__(
        self,
        root: Path,
        manifest: Path,
        image_root: Path | ImageRoot | None = None,
        threads: int = 4,
    ) -> None:
        self.root = Path(root).absolute()
        self.manifest = Path(manifest)
        if not self.manifest.is_file():
            raise InputError(f"manifest not found: {self.manifest}")
        self.parquet = self.manifest.suffix == ".parquet"
        root_rules = image_root or self.root
        # one ImageRoot for every entry: its folders' real paths are cached across entries
        self.image_root = root_rules if isinstance(root_rules, ImageRoot) else ImageRoot(root_rules)
        self.threads = threads

    def count(self) -> int:
        if self.parquet:
            import pyarrow.parquet as pq

            return pq.ParquetFile(str(self.manifest)).metadata.num_rows
        with open(self.manifest, "rb") as fh:
            return sum(1 for line in fh if line.strip())

    def __iter__(self) -> Iterator[Sample]:
        if not self.parquet:
            for line_no, line in enumerate(self._lines()):
                yield self._sample(line, line_no)
            return
        import pyarrow.parquet as pq

        groups = pq.ParquetFile(str(self.manifest)).metadata.num_row_groups
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            pending = []
            for group in range(groups):
                pending.append(pool.submit(self.read_group, group))
                if len(pending) > READ_AHEAD:
                    yield from pending.pop(0).result()
            for fut in pending:
                yield from fut.result()

    def read_group(self, group: int) -> list[Sample]:
        """One row group's samples (a range of the manifest), checked."""
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(str(self.manifest)).read_row_group(group).to_pylist()
        return [self._sample(row, group * RANGE_ROWS + i) for i, row in enumerate(rows)]

    def _lines(self) -> Iterator[dict[str, Any] | str]:
        with open(self.manifest, "rb") as fh:
            for raw in iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""):
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    while (more := fh.readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                        pass
                    yield "manifest line over 64 KiB"
                    continue
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw)
                except (ValueError, RecursionError):
                    yield "manifest line is not valid JSON"
                    continue
                yield row if isinstance(row, dict) else "manifest line is not an object"

    def _sample(self, row: dict[str, Any] | str, index: int) -> Sample:
        rel = row.get("path") if isinstance(row, dict) else None
        if not isinstance(rel, str) or not rel:
            why = row if isinstance(row, str) else "manifest entry has no path"
            sample = Sample(id=stable_id("manifest", str(index)), fields={"manifest_row": index})
            return sample.reject("read", "bad_manifest_entry", why)
        shown = rel if encodable(rel) else rel.encode("utf-8", "replace").decode("utf-8")
        sample = Sample(id=stable_id("image_folder", shown), fields={"source_file": shown})
        parts = rel.replace("\\", "/").split("/")
        if os.path.isabs(rel) or rel.startswith("~") or ".." in parts or not encodable(rel):
            return sample.reject(
                "read", "bad_image_path", f"{shown!r}: a manifest path must be relative to the root"
            )
        path = self.root / rel
        try:
            self.image_root.resolve(str(path))
            st = os.lstat(path)
        except ImageRefused as exc:
            return sample.reject("read", exc.reason, f"{shown}: {exc.detail}")
        except OSError:
            return sample.reject("read", "missing_file", f"{shown}: not found")
        if stat.S_ISLNK(st.st_mode) and not path.exists():
            return sample.reject("read", "missing_file", f"{shown}: symlink target does not exist")
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
            return sample.reject("read", "not_a_file", f"{shown} is not a regular file")
        sample.images = [ImageRef(path=str(path))]
        meta = row.get("metadata") if isinstance(row, dict) else None
        if isinstance(meta, dict) and meta:
            sample.fields["metadata"] = meta
        return sample
