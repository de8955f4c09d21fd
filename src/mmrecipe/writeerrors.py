"""Disk full, a read-only file system, a file where the run dir should be: one line, not a
traceback.

These are the user's to fix, and nothing is lost by stopping: every shard is written to
temporary files and renamed into place before it counts as finished, so the rerun after the fix
resumes and ends exactly like a clean run.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mmrecipe.errors import MMRecipeError

_HINTS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a file stands where a folder should be",
    errno.EEXIST: "a file stands where a folder should be",
    errno.EISDIR: "a folder stands where a file should be",
    errno.EFBIG: "file too large",
}

_SQLITE_HINTS = (
    ("disk is full", "no space left on the device"),
    ("readonly", "the file system is read-only"),
    ("unable to open", "cannot open the state database"),
    ("disk i/o error", "disk I/O error"),
)


#: write failures that no sample causes: an op hitting one stops the run instead of rejecting
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def is_disk_failure(exc: BaseException) -> bool:
    """A full disk, exceeded quota or read-only file system (also as sqlite reports them)."""
    if isinstance(exc, OSError):
        return exc.errno in _DISK_ERRNOS
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "disk is full" in text or "readonly" in text
    return False


class OutputError(MMRecipeError):
    """The run dir cannot be written."""


@contextmanager
def output_errors(run_dir: Path) -> Iterator[None]:
    """Turn write failures under ``run_dir`` into :class:`OutputError` (one line)."""
    try:
        yield
    except OSError as exc:
        hint = _HINTS.get(exc.errno or -1)
        if hint is None:
            raise
        where = exc.filename or run_dir
        raise OutputError(
            f"cannot write {where}: {hint}. Fix it and rerun the same command: finished "
            f"shards in {run_dir} are kept"
        ) from None
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        hint = next((h for key, h in _SQLITE_HINTS if key in text), None)
        if hint is None:
            raise
        raise OutputError(
            f"cannot write the run state in {run_dir / 'state'}: {hint}. Fix it and rerun the "
            "same command: finished shards are kept"
        ) from None
