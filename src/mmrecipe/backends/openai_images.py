"""Images as the OpenAI API takes them: base64 data URLs, each file read and encoded once per
backend (a bounded LRU), large files encoded in a thread. A URL is never forwarded: the server
must only see images mmrecipe read itself."""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

from mmrecipe.sample import ImageRef

#: images up to this size are encoded on the event loop, larger ones in a thread
INLINE_ENCODE_BYTES = 512 * 1024


class ImageCache:
    """Base64 data URLs of images, each file read and encoded once (LRU, bounded)."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._urls: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._pending: dict[tuple[Any, ...], asyncio.Future[str]] = {}
        self.encoded = 0

    async def data_url(self, ref: ImageRef) -> str:
        path = ref.path
        if path.startswith("data:"):
            return path
        if path[:8].lower().startswith(("http://", "https://")):
            # a server must never be handed a URL mmrecipe did not fetch itself
            raise ValueError(
                f"image {path[:200]!r} is a URL: readers download those into the run dir "
                "(input.allow_remote: true); it is not forwarded to the server"
            )
        if ref.sha256:
            key: tuple[Any, ...] = (path, ref.sha256)
        else:
            st = os.stat(path)
            key = (path, st.st_mtime_ns, st.st_size)
        url = self._urls.get(key)
        if url is not None:
            self._urls.move_to_end(key)
            return url
        size = ref.size_bytes if ref.size_bytes is not None else os.path.getsize(path)
        if size <= INLINE_ENCODE_BYTES:
            # small files: encoding inline (well under a millisecond) beats a thread hop
            url = encode_image(path, ref.format)
        else:
            pending = self._pending.get(key)
            if pending is not None:
                return await asyncio.shield(pending)
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._pending[key] = future
            try:
                url = await asyncio.to_thread(encode_image, path, ref.format)
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters re-raise it
                raise
            finally:
                self._pending.pop(key, None)
            future.set_result(url)
        self.encoded += 1
        self._urls[key] = url
        while len(self._urls) > self.size:
            self._urls.popitem(last=False)
        return url


def encode_image(path: str, fmt: str | None) -> str:
    data = Path(path).read_bytes()
    mime = f"image/{fmt.lower()}" if fmt else mimetypes.guess_type(path)[0] or "image/png"
    if mime == "image/jpg":
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
