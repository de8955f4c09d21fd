"""Image names in records: every local path and URL goes through ``resolve_image`` (the dataset
root's rules: confinement, and downloads only when the recipe allows them), and writers tell a
still-remote reference from a file."""

from __future__ import annotations

from pathlib import Path

from mmrecipe.io.base import ImageRoot, resolve_image
from mmrecipe.sample import ImageRef

REMOTE_PREFIXES = ("http://", "https://")


def is_remote(path: str) -> bool:
    """An image named by URL (not fetched)."""
    return path.startswith(REMOTE_PREFIXES)


def image_ref(name: object, root: Path | ImageRoot) -> ImageRef:
    """The reference of an image a record names (``ImageRefused`` becomes the record's
    reject in the reader base)."""
    return ImageRef(path=resolve_image(name, root))  # type: ignore[arg-type]
