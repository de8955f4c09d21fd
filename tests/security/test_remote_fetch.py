"""Remote images (``input.allow_remote``) against hostile servers and hostile URLs.

- ``remote_timeout_s`` is a deadline for the whole fetch: a server dripping its body or its
  headers one byte at a time is cut off at the deadline, one reject;
- anything the HTTP layer raises (a bad status line, a broken header) is one reject;
- loopback, private, link-local, multicast and reserved destinations are refused
  (``private_address``) on every address a name resolves to and on every redirect, unless
  ``allow_private_hosts`` opts in.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mmrecipe.cli import main
from mmrecipe.io import open_reader
from mmrecipe.io import remote as remote_module
from mmrecipe.io.base import ImageRefused, ImageRoot, resolve_image

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class _Raw(socketserver.BaseRequestHandler):
    """Answers by path with raw bytes: well-behaved, dripping, or broken HTTP."""

    hits: list[str]
    redirect_to = ""

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1].decode().split("?")[0]
        self.hits.append(path)
        send = self.request.sendall
        try:
            if path == "/ok.png":
                send(self._head(len(PNG)) + PNG)
            elif path == "/drip-body.png":
                send(self._head(10_000))
                for _ in range(10_000):
                    send(b"x")
                    time.sleep(0.05)
            elif path == "/drip-headers.png":
                send(b"HTTP/1.1 200 OK\r\n")
                for _ in range(10_000):
                    send(b"X-Slow: a\r\n")
                    time.sleep(0.05)
            elif path == "/bad-status.png":
                send(b"HTTP/1.1 2OO NOT A STATUS\r\n\r\n")
            elif path == "/bad-header.png":
                send(b"HTTP/1.1 200 OK\r\n" + b"X-" + b"a" * 70_000 + b": b\r\n\r\n")
            elif path == "/redirect.png":
                send(
                    f"HTTP/1.1 302 Found\r\nLocation: {self.redirect_to}\r\n"
                    "Content-Length: 0\r\n\r\n".encode()
                )
        except OSError:
            pass  # the client gave up: expected

    @staticmethod
    def _head(length: int) -> bytes:
        return (
            f"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {length}\r\n\r\n"
        ).encode()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(host: str = "127.0.0.1", redirect_to: str = "") -> tuple[str, type[_Raw], _Server]:
    handler = type("H", (_Raw,), {"hits": [], "redirect_to": redirect_to})
    server = _Server((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://{host}:{server.server_address[1]}", handler, server


@pytest.fixture
def site() -> Iterator[tuple[str, type[_Raw]]]:
    url, handler, server = _serve()
    yield url, handler
    server.shutdown()


def _root(tmp_path: Path, private: bool = True, timeout: float = 1.0) -> ImageRoot:
    return ImageRoot(
        tmp_path,
        allow_remote=True,
        remote_dir=tmp_path / "remote",
        remote_timeout_s=timeout,
        allow_private_hosts=private,
    )


def _refusal(url: str, root: ImageRoot) -> ImageRefused:
    with pytest.raises(ImageRefused) as info:
        resolve_image(url, root)
    return info.value


@pytest.mark.parametrize("path", ["/drip-body.png", "/drip-headers.png"])
def test_the_timeout_is_a_deadline_for_the_whole_fetch(
    tmp_path: Path, site: tuple[str, type[_Raw]], path: str
) -> None:
    url, _ = site
    start = time.monotonic()
    refused = _refusal(url + path, _root(tmp_path, timeout=1.0))
    elapsed = time.monotonic() - start
    assert refused.reason == "remote_fetch_failed"
    assert "remote_timeout_s" in refused.detail
    assert elapsed < 10, f"{elapsed:.1f} s for a 1 s deadline (the drip lasts 500 s)"


@pytest.mark.parametrize("path", ["/bad-status.png", "/bad-header.png"])
def test_an_http_layer_error_is_one_reject(
    tmp_path: Path, site: tuple[str, type[_Raw]], path: str
) -> None:
    url, _ = site
    assert _refusal(url + path, _root(tmp_path)).reason == "remote_fetch_failed"


def test_coco_with_a_broken_server_keeps_the_good_records(
    tmp_path: Path, site: tuple[str, type[_Raw]]
) -> None:
    url, _ = site
    coco = {
        "images": [
            {"id": 1, "file_name": f"{url}/ok.png"},
            {"id": 2, "file_name": f"{url}/bad-status.png"},
            {"id": 3, "file_name": f"{url}/ok.png?3"},
            {"id": 4, "file_name": f"{url}/ok.png?4"},
        ],
        "annotations": [{"id": i, "image_id": i, "caption": f"c{i}"} for i in range(1, 5)],
    }
    src = tmp_path / "captions.json"
    src.write_text(json.dumps(coco))
    samples = list(open_reader("coco", src, image_root=_root(tmp_path)))
    reasons = [s.rejection.reason for s in samples if s.rejection]
    assert reasons == ["remote_fetch_failed"]
    assert sum(not s.rejected for s in samples) == 3


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0177.0.0.1",  # octal
        "0.0.0.0",
        "169.254.169.254",  # cloud metadata
        "10.1.2.3",
        "192.168.1.1",
        "224.0.0.1",  # multicast
        "[fe80::1]",
        "[::ffff:127.0.0.1]",
    ],
)
def test_internal_destinations_are_refused_by_default(
    tmp_path: Path, site: tuple[str, type[_Raw]], host: str
) -> None:
    url, handler = site
    port = url.rsplit(":", 1)[1]
    refused = _refusal(f"http://{host}:{port}/ok.png", _root(tmp_path, private=False))
    assert refused.reason == "private_address", refused.detail
    assert handler.hits == []


def test_a_redirect_to_an_internal_address_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """127.0.0.2 plays a public server (the check is told so) that redirects to 127.0.0.1."""
    inner_url, inner, inner_server = _serve("127.0.0.1")
    outer_url, outer, outer_server = _serve("127.0.0.2", redirect_to=f"{inner_url}/ok.png")
    real = remote_module._blocked
    monkeypatch.setattr(remote_module, "_blocked", lambda a: a != "127.0.0.2" and real(a))
    try:
        refused = _refusal(f"{outer_url}/redirect.png", _root(tmp_path, private=False))
        assert refused.reason == "private_address"
        assert outer.hits == ["/redirect.png"] and inner.hits == []
        # opted in, the same redirect is followed
        path = resolve_image(f"{outer_url}/redirect.png?again", _root(tmp_path, private=True))
        assert Path(path).read_bytes() == PNG and inner.hits == ["/ok.png"]
    finally:
        inner_server.shutdown()
        outer_server.shutdown()


def test_every_resolved_address_is_checked(
    tmp_path: Path, site: tuple[str, type[_Raw]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name resolving to a public and a private address is refused (no second lookup)."""
    url, handler = site
    port = int(url.rsplit(":", 1)[1])
    real = socket.getaddrinfo

    def two(host: str, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        if host == "images.example":
            public = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))
            return [public, *real("127.0.0.1", port, type=socket.SOCK_STREAM)]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", two)
    refused = _refusal(f"http://images.example:{port}/ok.png", _root(tmp_path, private=False))
    assert refused.reason == "private_address" and handler.hits == []


def test_convert_allow_private_hosts(tmp_path: Path, site: tuple[str, type[_Raw]]) -> None:
    url, handler = site
    src = tmp_path / "in.jsonl"
    conv = [{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": "a"}]
    src.write_text(json.dumps({"id": "r", "image": f"{url}/ok.png", "conversations": conv}))
    out = tmp_path / "out" / "o.jsonl"
    base = ["convert", str(src), str(out), "--to", "llava", "--allow-remote"]
    refused = CliRunner().invoke(main, base)
    # nothing written: a failure (exit 1) that still names the reason
    assert refused.exit_code == 1 and "1 private_address" in refused.output
    assert handler.hits == []
    allowed = CliRunner().invoke(main, [*base, "--allow-private-hosts"])
    assert "wrote 1 record(s)" in allowed.output and handler.hits == ["/ok.png"]
