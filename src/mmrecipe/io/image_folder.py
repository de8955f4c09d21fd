"""Read a folder of images (recursively, sorted, so ids and shards are deterministic)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
    """One sample per image file; a symlink that leaves the root is rejected, not followed."""

    def __init__(
        self, root: Path, recursive: bool = True, extensions: list[str] | None = None
    ) -> None:
        self.root = root
        self.recursive = recursive
        self.extensions = (
            frozenset(e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions)
            if extensions
            else IMAGE_EXTENSIONS
        )

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
        real_root = self.root.resolve()
        for path in self._paths():
            rel = path.relative_to(self.root).as_posix()
            sample = Sample(
                id=stable_id("image_folder", rel),
                images=[ImageRef(path=str(path.absolute()))],
                fields={"source_file": rel},
            )
            if path.is_symlink():
                target = path.resolve()
                if not target.exists():
                    sample.reject("read", "missing_file", f"{rel}: symlink target does not exist")
                elif not target.is_relative_to(real_root):
                    sample.reject(
                        "read",
                        "symlink_escapes_root",
                        f"{rel} points outside the input folder (to {target}); not followed",
                    )
            yield sample
