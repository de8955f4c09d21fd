"""Where a file's relative image paths point: the run dir for files inside a run, else the
file's own folder. One rule for every reader, so ``convert RUN/data/shard.jsonl`` and a report
of a run made with a relative ``-o`` find the same images whatever the working directory."""

from __future__ import annotations

from pathlib import Path

from mmrecipe.io.base import RecordRejected, resolve_image
from mmrecipe.sample import ImageRef

REMOTE_PREFIXES = ("http://", "https://")


def is_remote(path: str) -> bool:
    """An image named by URL (kept as a reference; fetching is the downloader's job)."""
    return path.startswith(REMOTE_PREFIXES)


def run_root_of(path: Path, max_up: int = 4) -> Path | None:
    """The run directory that holds ``path`` (a folder with ``recipe.yaml`` and ``state/``)."""
    here = path.absolute()
    for parent in [here, *here.parents][: max_up + 1]:
        if (parent / "recipe.yaml").is_file() and (parent / "state").is_dir():
            return parent
    return None


def default_image_root(path: Path) -> Path:
    """The folder relative image paths in ``path`` are resolved against when none is given."""
    root = run_root_of(path)
    if root is not None:
        return root
    return (path if path.is_dir() else path.parent).absolute()


def image_ref(path: str, root: Path, remote_images: str = "keep") -> ImageRef:
    """An image named in a record: a URL stays a remote reference (or is refused with reason
    ``remote_image``); a local path goes through ``resolve_image`` (the dataset-root rules)."""
    if is_remote(path):
        if remote_images != "keep":
            raise RecordRejected("remote_image", f"remote image {path[:200]} is not allowed")
        return ImageRef(path=path)
    if path.startswith("file://"):
        path = path[len("file://") :]
    return ImageRef(path=resolve_image(path, root))
