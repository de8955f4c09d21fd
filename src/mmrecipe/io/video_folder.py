"""Read a folder of videos (recursively, sorted, so ids and shards are deterministic).

The same root rules as a folder of images: a symlink that leaves the root is rejected, not
followed; a FIFO or device is ``not_a_file``; a name that is not UTF-8 is ``bad_file_name``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mmrecipe.io.base import ImageRoot
from mmrecipe.io.image_folder import IMAGE_EXTENSIONS, ImageFolderReader
from mmrecipe.sample import Sample, VideoRef

VIDEO_EXTENSIONS = frozenset(
    [".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".flv", ".3gp"]
)


class VideoFolderReader:
    """One sample per video file, the video in ``videos`` (checked by ``video_intake``);
    with ``images: true`` image files too, as image samples (a folder of mixed media)."""

    def __init__(
        self,
        root: Path,
        recursive: bool = True,
        extensions: list[str] | None = None,
        image_root: Path | ImageRoot | None = None,
        images: bool = False,
    ) -> None:
        wanted = set(extensions or VIDEO_EXTENSIONS)
        if images:  # a media folder: images come out as image samples, videos as video ones
            wanted |= IMAGE_EXTENSIONS
        self._files = ImageFolderReader(root, recursive, sorted(wanted), image_root)

    def count(self) -> int:
        return self._files.count()

    def __iter__(self) -> Iterator[Sample]:
        for sample in self._files:
            # the image folder reader applied the root rules; the file is a video, not an image
            if Path(str(sample.fields.get("source_file", ""))).suffix.lower() in IMAGE_EXTENSIONS:
                yield sample
                continue
            sample.videos = [VideoRef(path=ref.path) for ref in sample.images]
            sample.images = []
            yield sample
