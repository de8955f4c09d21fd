"""Read a folder of images (recursively, sorted, so ids and shards are deterministic)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from mmrecipe.io.base import ImageRefused, ImageRoot, encodable, resolve_image
from mmrecipe.sample import ImageRef, Sample, stable_id

IMAGE_EXTENSIONS = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".gif",
        ".bmp",
        ".dib",
        ".tif",
        ".tiff",
        ".webp",
        ".ppm",
        ".pgm",
        ".pbm",
        ".pnm",
        ".ico",
        ".tga",
        ".avif",
        ".heic",
        ".heif",
        ".jp2",
        ".j2k",
        ".psd",
        ".dds",
        ".pcx",
        ".sgi",
        ".icns",
    ]
)


class ImageFolderReader:
    """One sample per image file; a symlink that leaves the root (the folder, or
    ``image_root``) is rejected, not followed, and so is a symlink loop."""

    def __init__(
        self,
        root: Path,
        recursive: bool = True,
        extensions: list[str] | None = None,
        image_root: Path | ImageRoot | None = None,
    ) -> None:
        self.root = root
        self.recursive = recursive
        self.extensions = (
            frozenset(e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions)
            if extensions
            else IMAGE_EXTENSIONS
        )
        self.image_root = image_root or root

    def _paths(self) -> Iterator[Path]:
        if self.recursive:
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames.sort()
                for name in sorted(filenames):
                    if Path(name).suffix.lower() in self.extensions:
                        yield Path(dirpath) / name
        else:
            for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
                if Path(entry.name).suffix.lower() in self.extensions:
                    yield Path(entry.path)

    def count(self) -> int:
        return sum(1 for _ in self._paths())

    def __iter__(self) -> Iterator[Sample]:
        for path in self._paths():
            rel = path.relative_to(self.root).as_posix()
            if not encodable(rel):
                # a name that is not valid UTF-8: no output file could hold it
                shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                sample = Sample(id=stable_id("image_folder", shown), fields={"source_file": shown})
                yield sample.reject("read", "bad_file_name", f"{shown!r} is not valid UTF-8")
                continue
            sample = Sample(
                id=stable_id("image_folder", rel),
                images=[ImageRef(path=str(path.absolute()))],
                fields={"source_file": rel},
            )
            if path.is_symlink():
                try:
                    target = Path(resolve_image(str(path.absolute()), self.image_root))
                except ImageRefused as exc:
                    sample.images = []  # nothing downstream (a report thumbnail) may open it
                    sample.reject("read", exc.reason, f"{rel}: {exc.detail}")
                else:
                    if not target.exists():
                        sample.reject(
                            "read", "missing_file", f"{rel}: symlink target does not exist"
                        )
            elif not path.is_file():  # a FIFO or a device would block whoever reads it
                sample.reject("read", "not_a_file", f"{rel} is not a regular file")
            yield sample
