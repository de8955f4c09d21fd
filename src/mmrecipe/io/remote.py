"""Downloading ``http(s)://`` images a dataset names, only when the recipe allows it.

The recipe opts in with ``input.allow_remote: true``; then each URL is fetched once into the
run dir (``images/remote/<sha256 of the URL>.<ext>``, reused by later records and reruns),
with a size cap, a deadline for the whole download (connect, headers, body: a server dripping
bytes cannot hold it longer), a content-type check, and redirects only to other http(s) URLs.
Loopback, private, link-local, multicast and reserved addresses are refused (``private_address``)
on every address a name resolves to and on every redirect, unless the recipe sets
``input.allow_private_hosts``: a dataset from the internet must not make the run send requests
into the user's own network. A model server is only ever sent the bytes mmrecipe fetched itself, never the URL.
Standard library only (urllib); JSON readers overlap downloads in a few threads.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

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
    """Follow redirects to http(s) only (urllib would also follow ftp://); each new request
    goes through the handlers below again, so every hop is checked (private addresses)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-http URL", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._create_connection = _connect


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._create_connection = _connect


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):  # type: ignore[no-untyped-def]
        _before_open(req)
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):  # type: ignore[no-untyped-def]
        _before_open(req)
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


def _opener() -> urllib.request.OpenerDirector:
    """http(s) only: no file://, ftp:// or data: handlers, not even through a redirect."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        _GuardedHTTPHandler(),
        _GuardedHTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


_OPENER = _opener()


class _Fetch:
    """One download's deadline (connect, headers and body together) and address policy. At
    the deadline a watchdog shuts its sockets down, which ends any read in progress, however
    slowly the server drips."""

    def __init__(self, timeout_s: float, allow_private: bool) -> None:
        timeout_s = min(timeout_s, 86400.0)  # the recipe's range check keeps it far below
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s
        self.allow_private = allow_private
        #: whether connections are checked (not through a proxy the user configured)
        self.check_connect = True
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(timeout_s, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("deadline passed")
        return left

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down at the deadline (a duplicate: TLS takes the original over)."""
        with self._lock:
            self._socks.append(sock.dup())
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        for sock in self._socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks = []


_CURRENT = threading.local()


def _blocked(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: not the internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _resolve(host: str, port: int, fetch: _Fetch) -> list[tuple]:  # type: ignore[type-arg]
    """Every address ``host`` resolves to, within the deadline; ImageRefused
    (``private_address``) if any is internal and the recipe does not allow it."""
    box: dict[str, object] = {}

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=lookup, daemon=True, name="mmrecipe-resolve")
    thread.start()
    thread.join(fetch.remaining())
    if thread.is_alive():
        fetch.expired = True
        raise TimeoutError(f"resolving {host} took too long")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    infos: list[tuple] = box["infos"]  # type: ignore[assignment,type-arg]
    if not fetch.allow_private:
        for info in infos:
            if _blocked(info[4][0]):
                raise ImageRefused(
                    "private_address",
                    f"{host} resolves to {info[4][0]}, an internal address; not requested "
                    "(allow it with input.allow_private_hosts: true; convert: "
                    "--allow-private-hosts)",
                )
    return infos


def _before_open(req: urllib.request.Request) -> None:
    """Before each request (the first and every redirect): through a proxy, check the target
    host here; else the connection checks the very addresses it connects to."""
    fetch: _Fetch = _CURRENT.fetch
    target = urlsplit(req.full_url)
    proxied = urlsplit("//" + (req.host or "")).hostname != target.hostname
    fetch.check_connect = not proxied
    if proxied and not fetch.allow_private:
        _resolve(target.hostname or "", target.port or 80, fetch)


def _connect(
    address: tuple[str, int], timeout: object = None, source: object = None
) -> socket.socket:
    """``socket.create_connection`` to checked addresses only (no second lookup an attacker's
    DNS could answer differently), watched by the fetch's deadline."""
    fetch: _Fetch = _CURRENT.fetch
    host, port = address
    if fetch.check_connect:
        infos = _resolve(host, port, fetch)
    else:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    error: Exception | None = None
    for family, kind, proto, _, addr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            fetch.watch(sock)
            sock.settimeout(min(fetch.timeout_s, fetch.remaining()))
            sock.connect(addr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"{host} has no address")


#: one lock per URL being fetched, so records naming the same URL download it once
_INFLIGHT: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def fetch_image(
    url: str, directory: Path, max_bytes: int, timeout_s: float, allow_private: bool = False
) -> Path:
    """The local copy of image ``url`` under ``directory``, downloaded on first use; raises
    ImageRefused (``remote_fetch_failed``, ``remote_too_large``, ``remote_not_image`` or
    ``private_address``). ``timeout_s`` bounds the whole download (connect, headers, body).
    Thread-safe: concurrent calls for one URL download it once."""
    key = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
    with _GUARD:
        lock = _INFLIGHT.setdefault(key, threading.Lock())
    try:
        with lock:
            return _fetch(url, key, directory, max_bytes, timeout_s, allow_private)
    finally:
        with _GUARD:
            _INFLIGHT.pop(key, None)


def _fetch(
    url: str, key: str, directory: Path, max_bytes: int, timeout_s: float, allow_private: bool
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for cached in directory.glob(f"{key}.*"):
        if not cached.name.endswith(".tmp"):
            return cached
    shown = url if len(url) <= 200 else url[:200] + "..."
    fetch = _Fetch(timeout_s, allow_private)
    _CURRENT.fetch = fetch
    try:
        ctype, data = _download(url, shown, max_bytes, fetch)
    except ImageRefused:
        raise
    except Exception as exc:  # whatever the HTTP layer raises is this record's reject
        if fetch.expired:
            detail = f"{shown}: no complete answer within {timeout_s:g} s (input.remote_timeout_s)"
        elif isinstance(exc, urllib.error.HTTPError):
            detail = f"{shown}: HTTP {exc.code}"
        else:
            reason = getattr(exc, "reason", None) or exc
            detail = f"{shown}: {type(exc).__name__}: {str(reason)[:200]}"
        raise ImageRefused("remote_fetch_failed", detail) from None
    finally:
        fetch.close()
        _CURRENT.fetch = None
    target = directory / f"{key}.{_EXTENSIONS.get(ctype, 'img')}"
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


def _download(url: str, shown: str, max_bytes: int, fetch: _Fetch) -> tuple[str, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with _OPENER.open(request, timeout=min(fetch.timeout_s, fetch.remaining())) as response:
        fetch.remaining()  # headers cut short by the deadline are no answer
        ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not ctype.startswith("image/"):
            raise ImageRefused(
                "remote_not_image", f"{shown}: content type {ctype or 'missing'!r}, not image/*"
            )
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise ImageRefused("remote_too_large", f"{shown}: {declared} bytes, over {max_bytes}")
        chunks: list[bytes] = []
        total = 0
        while True:
            fetch.remaining()  # past the deadline: TimeoutError
            chunk = response.read(min(1 << 16, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ImageRefused("remote_too_large", f"{shown}: over {max_bytes} bytes")
        if fetch.expired:
            raise TimeoutError("deadline passed")
    return ctype, b"".join(chunks)
