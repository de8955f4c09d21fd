"""Downloading ``http(s)://`` images a dataset names, only when the recipe allows it.

The recipe opts in with ``input.allow_remote: true``; then each URL is fetched once into the
run dir (``images/remote/<sha256 of the URL>.<ext>``, reused by later records and reruns),
with a size cap, a time-out and a content-type check, and redirects only to other http(s)
URLs. A model server is only ever sent the bytes mmrecipe fetched itself, never the URL.
Standard library only (urllib); JSON readers overlap downloads in a few threads.
"""

from __future__ import annotations

import hashlib
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

from mmrecipe.io.refusal import ImageRefused

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "image/avif": "avif",
    "image/heic": "heic",
}
_USER_AGENT = "mmrecipe (+https://github.com/mmrecipe)"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-http URL", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """http(s) only: no file://, ftp:// or data: handlers, not even through a redirect."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


_OPENER = _opener()


#: one lock per URL being fetched, so records naming the same URL download it once
_INFLIGHT: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def fetch_image(url: str, directory: Path, max_bytes: int, timeout_s: float) -> Path:
    """The local copy of image ``url`` under ``directory``, downloaded on first use; raises
    ImageRefused (reason ``remote_fetch_failed``, ``remote_too_large`` or ``remote_not_image``).
    Thread-safe: concurrent calls for one URL download it once."""
    key = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
    with _GUARD:
        lock = _INFLIGHT.setdefault(key, threading.Lock())
    try:
        with lock:
            return _fetch(url, key, directory, max_bytes, timeout_s)
    finally:
        with _GUARD:
            _INFLIGHT.pop(key, None)


def _fetch(url: str, key: str, directory: Path, max_bytes: int, timeout_s: float) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for cached in directory.glob(f"{key}.*"):
        if not cached.name.endswith(".tmp"):
            return cached
    shown = url if len(url) <= 200 else url[:200] + "..."
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if not ctype.startswith("image/"):
                raise ImageRefused(
                    "remote_not_image", f"{shown}: content type {ctype or 'missing'!r}, not image/*"
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ImageRefused(
                    "remote_too_large", f"{shown}: {declared} bytes, over {max_bytes}"
                )
            data = response.read(max_bytes + 1)
    except ImageRefused:
        raise
    except urllib.error.HTTPError as exc:
        raise ImageRefused("remote_fetch_failed", f"{shown}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ImageRefused("remote_fetch_failed", f"{shown}: {reason}") from None
    if len(data) > max_bytes:
        raise ImageRefused("remote_too_large", f"{shown}: over {max_bytes} bytes")
    target = directory / f"{key}.{_EXTENSIONS.get(ctype, 'img')}"
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target
