"""The dataset root: where a dataset's images and files may come from (moved out of
``io/base.py``). Every reader confines every name a record holds through :class:`ImageRoot`."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mmrecipe.io.refusal import ImageRefused

#: default cap on one member of a dataset's container (a tar member), like remote images'
DEFAULT_MEMBER_BYTES = 50 * 1024 * 1024


class ImageRoot:
    """Where a dataset's images may come from: the one policy every reader applies.

    A dataset is untrusted: a record naming ``/etc/passwd``, ``../../x``, ``~/.ssh/id_rsa``,
    ``file:///...`` or a symlink that leads out of the root must not make a run read that file
    (and embed it in Parquet or send it to a model server). Paths are resolved (symlinks
    followed) before the check, so nothing outside the root is ever opened. ``http(s)://``
    images are fetched into the run dir only when the recipe allows it.
    """

    def __init__(
        self,
        path: Path | list[Path],
        *,
        allow_outside_root: bool = False,
        allow_remote: bool = False,
        remote_dir: Path | None = None,
        remote_max_bytes: int = 50 * 1024 * 1024,
        remote_timeout_s: float = 30.0,
        remote_workers: int = 16,
        allow_private_hosts: bool = False,
        member_max_bytes: int = DEFAULT_MEMBER_BYTES,
    ) -> None:
        if allow_remote and remote_dir is None:
            raise ValueError("allow_remote needs remote_dir (where downloads are stored)")
        paths = path if isinstance(path, list) else [path]
        if not paths:
            raise ValueError("ImageRoot needs at least one folder")
        #: the folders images may lie in; relative names are relative to the first
        self.roots = [Path(p).expanduser().absolute() for p in paths]
        self.path = self.roots[0]
        self.allow_outside_root = allow_outside_root
        self.allow_remote = allow_remote
        self.remote_dir = remote_dir
        self.remote_max_bytes = remote_max_bytes
        self.remote_timeout_s = remote_timeout_s
        #: downloads in flight at once (readers that can overlap them)
        self.remote_workers = remote_workers
        #: let URLs reach loopback, private, link-local and reserved addresses
        self.allow_private_hosts = allow_private_hosts
        #: the cap on one member of a container the dataset holds (a WebDataset tar member)
        self.member_max_bytes = member_max_bytes
        self._root_str = str(self.path)
        self._reals: list[tuple[str, str]] = []  # (real root, real root + separator)
        for root in self.roots:
            try:
                real = str(root.resolve())
            except (RuntimeError, OSError):
                real = str(root)
            self._reals.append((real, real.rstrip(os.sep) + os.sep))
        self._dirs: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"ImageRoot({str(self.path)!r}, allow_outside_root={self.allow_outside_root})"

    def resolve(self, name: str) -> str:
        """The real path of image ``name`` (relative names are relative to the root), or
        ImageRefused when it is not allowed; never opens the file."""
        if not isinstance(name, str) or not name.strip():
            raise ImageRefused("bad_image_path", f"image path {name!r} is empty or not a string")
        if "\x00" in name:
            raise ImageRefused("bad_image_path", f"image path {name!r} contains a NUL byte")
        lower = name[:10].lower()
        if lower.startswith(("http://", "https://")):
            return self._remote(name)
        if lower.startswith("file:"):
            parts = urlsplit(name)
            if parts.netloc not in ("", "localhost"):
                raise ImageRefused("unsupported_url", f"{name!r}: a file URL on another host")
            candidate = unquote(parts.path)
        elif _URL_SCHEME.match(name):
            raise ImageRefused(
                "unsupported_url", f"{name[:200]!r}: only paths and http(s) URLs name images"
            )
        else:
            candidate = os.path.expanduser(name) if name.startswith("~") else name
        if not os.path.isabs(candidate):
            candidate = os.path.join(self._root_str, candidate)
        real, st = self._realpath(candidate, name)
        if not (self.allow_outside_root or self.inside(real)):
            where = self._root_str if len(self.roots) == 1 else ", ".join(map(str, self.roots))
            raise ImageRefused(
                "image_outside_root",
                f"{name!r} leads outside the dataset root {where}; not opened "
                "(set the root with input.image_root / --image-root, or allow it with "
                "input.allow_outside_root: true; convert: --allow-outside-root)",
            )
        if st is not None and not stat.S_ISREG(st.st_mode):
            # a FIFO or a device would block or never end whoever reads it
            raise ImageRefused("not_a_file", f"{name!r} is not a regular file")
        return real

    def inside(self, real: str) -> bool:
        """Whether the real path ``real`` lies in one of the roots."""
        return any(real == root or real.startswith(sep) for root, sep in self._reals)

    def _realpath(self, candidate: str, name: str) -> tuple[str, os.stat_result | None]:
        """``os.path.realpath`` with the folders' real paths cached (datasets name many files
        in few folders), and the file's stat (None: it does not exist)."""
        head, tail = os.path.split(candidate)
        if tail in ("", ".", ".."):
            head, tail = candidate, ""
        real_head = self._dirs.get(head)
        if real_head is None:
            real_head = os.path.realpath(head)
            if len(self._dirs) >= 4096:
                self._dirs.clear()
            self._dirs[head] = real_head
        full = os.path.join(real_head, tail) if tail else real_head
        try:
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                full = os.path.realpath(full)
                st = os.stat(full)
        except (FileNotFoundError, NotADirectoryError):
            return full, None
        except OSError as exc:  # ELOOP: a symlink loop; EACCES: a folder we may not enter
            raise ImageRefused(
                "unresolvable_path", f"{name!r}: {exc.strerror or type(exc).__name__}"
            ) from None
        return full, st

    def _remote(self, url: str) -> str:
        if not self.allow_remote:
            raise ImageRefused(
                "remote_image_not_allowed",
                f"{url[:200]!r} is a URL; set input.allow_remote: true (convert: "
                "--allow-remote) to download it",
            )
        from mmrecipe.io.remote import fetch_image

        assert self.remote_dir is not None
        path = fetch_image(
            url,
            self.remote_dir,
            self.remote_max_bytes,
            self.remote_timeout_s,
            allow_private=self.allow_private_hosts,
        )
        return str(path.absolute())


_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def resolve_image(path: str, root: Path | ImageRoot) -> str:
    """The path of an image named in a dataset record, confined to the dataset root.

    Every reader calls this for every image name a record holds; a plain ``Path`` root means
    the default policy (confined, no downloads). Raises ImageRefused (a reject, not an abort).
    """
    return (root if isinstance(root, ImageRoot) else ImageRoot(root)).resolve(path)


def default_image_root(path: Path) -> Path:
    """The folder of a dataset file (the folder itself for a directory); for a file inside a
    run dir (``data/``, ``data/<format>/``, ``samples/``), the run dir, whose images/ it uses."""
    folder = path if path.is_dir() else path.parent
    folder = folder.absolute()
    for parent in (folder, folder.parent, folder.parent.parent):
        if (parent / "recipe.yaml").is_file() and (parent / "state").is_dir():
            return parent
    return folder
