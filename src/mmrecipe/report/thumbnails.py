"""Small JPEG thumbnails as ``data:`` URIs, so the report is one file that opens from disk.

Images are untrusted input (a run's rejects are often exactly the broken ones): anything that
cannot be opened within the limits below gives ``None`` and the page shows a placeholder.
"""

from __future__ import annotations

import base64
import io
import os
import warnings
from pathlib import Path

from PIL import Image

from mmrecipe.imaging import to_rgb

#: longest side of a thumbnail, in pixels
THUMB_SIDE = 128
THUMB_QUALITY = 60
#: files larger than this or with more pixels are not decoded for a thumbnail
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 80_000_000


def resolve_image(path: str, run_dir: Path) -> Path:
    """Sample image paths are absolute (inputs) or relative to the run dir (produced)."""
    p = Path(path)
    return p if p.is_absolute() else run_dir / p


def thumbnail_bytes(
    path: Path, side: int = THUMB_SIDE, quality: int = THUMB_QUALITY
) -> bytes | None:
    """A JPEG of at most ``side`` pixels per side, or None when the file is unusable."""
    try:
        if not path.is_file() or os.path.getsize(path) > MAX_FILE_BYTES:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                if im.width * im.height > MAX_PIXELS or min(im.size) < 1:
                    return None
                im.draft("RGB", (side * 2, side * 2))  # JPEG: decode at a reduced scale
                im.thumbnail((side, side))
                rgb = to_rgb(im)
        buf = io.BytesIO()
        rgb.save(buf, format="JPEG", quality=quality, optimize=True)
        return buf.getvalue()
    except Exception:  # any decoder failure on untrusted bytes means "no thumbnail"
        return None


class Thumbnails:
    """Thumbnails by image path, each made once, within a total byte budget.

    Thumbnails are stored once in the page and referenced by index from cards, so samples that
    share an image (expand ops, multi-turn children) cost nothing extra.
    """

    def __init__(self, run_dir: Path, budget_bytes: int) -> None:
        self.run_dir = run_dir
        self.budget = budget_bytes
        self.used = 0
        self.uris: list[str] = []
        self._index: dict[str, int | None] = {}
        #: paths given no thumbnail only because the budget was spent
        self.skipped: set[str] = set()

    def get(self, path: str) -> int | None:
        """Index into :attr:`uris` of the thumbnail of ``path`` (None: show a placeholder)."""
        if path in self._index:
            return self._index[path]
        if self.used >= self.budget:
            self.skipped.add(path)
            return None  # not cached: the budget is a page-size guard, not a verdict
        data = thumbnail_bytes(resolve_image(path, self.run_dir))
        index: int | None = None
        if data is not None:
            uri = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
            self.used += len(uri)
            index = len(self.uris)
            self.uris.append(uri)
        self._index[path] = index
        return index
