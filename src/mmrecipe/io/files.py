"""Opening the files a dataset consists of: only regular files, inside the root, never blocking.

A dataset folder is untrusted like the records in it: a ``b.tar -> ../outside/secret.tar``
symlink must not be read, and a FIFO named ``c.parquet`` must not hang the run. Every reader
lists its files with :func:`listed_files` (each one checked against the dataset root, as an
image path is) and opens each with :func:`open_regular` (``O_NONBLOCK`` so a FIFO cannot block
the open, then ``fstat``: anything but a regular file is refused, ``not_a_file``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from mmrecipe.io.refusal import ImageRefused


class RootPolicy(Protocol):
    """What a listing asks of the dataset root (``io.base.ImageRoot``; not imported here, since
    ``io.base`` opens its files through this module)."""

    allow_outside_root: bool

    def inside(self, real: str) -> bool: ...


_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def open_regular(path: Path | str) -> BinaryIO:
    """``path`` opened for binary reading; ImageRefused (``not_a_file``) when it is a FIFO,
    socket, device or folder, never blocking on it (``unresolvable_path``: a symlink loop)."""
    shown = Path(path).name
    real = os.path.realpath(path)
    try:
        fd = os.open(real, _FLAGS | _NOFOLLOW)
    except IsADirectoryError:
        raise ImageRefused("not_a_file", f"{shown} is a folder, not a file") from None
    except OSError as exc:
        if exc.errno in (getattr(os, "ELOOP", -1), getattr(os, "ENXIO", -1)):
            # ELOOP: a symlink swapped in or a loop; ENXIO: a socket or a FIFO without writer
            raise ImageRefused("not_a_file", f"{shown}: {exc.strerror}") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ImageRefused("not_a_file", f"{shown} is not a regular file")
        if _FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: Path | str) -> str:
    """The real path of ``path`` once it is known to be a regular file (opened without blocking,
    then closed): for libraries that want a path name (pyarrow)."""
    with open_regular(path):
        pass
    return os.path.realpath(path)


def listed_files(
    folder: Path, suffixes: tuple[str, ...], policy: RootPolicy | None
) -> Iterator[tuple[Path, ImageRefused | None]]:
    """Files under ``folder`` whose names end with one of ``suffixes``, sorted, each with the
    reason it may not be read (None: it may). A symlink leading outside the folder and the
    dataset root is ``image_outside_root``, a loop ``unresolvable_path``, anything that is not
    a regular file ``not_a_file``; symlinked sub-folders are not entered."""
    folder = folder.absolute()
    real_folder = os.path.realpath(folder)
    inside = real_folder.rstrip(os.sep) + os.sep
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        names = sorted(
            [n for n in filenames if n.lower().endswith(suffixes)]
            + [n for n in dirnames if n.lower().endswith(suffixes)]
        )
        for name in names:
            path = Path(dirpath) / name
            yield path, _refusal(path, folder, real_folder, inside, policy)


def _refusal(
    path: Path, folder: Path, real_folder: str, inside: str, policy: RootPolicy | None
) -> ImageRefused | None:
    shown = str(path.relative_to(folder))
    real = os.path.realpath(path)
    allowed = (
        real == real_folder
        or real.startswith(inside)
        or (policy is not None and (policy.allow_outside_root or policy.inside(real)))
    )
    if not allowed:
        return ImageRefused(
            "image_outside_root",
            f"{shown} leads outside the dataset root {folder}; not opened "
            "(allow it with input.allow_outside_root: true; convert: --allow-outside-root)",
        )
    try:
        st = os.stat(real)
    except OSError as exc:
        return ImageRefused("unresolvable_path", f"{shown}: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        return ImageRefused("not_a_file", f"{shown} is not a regular file; not opened")
    return None
