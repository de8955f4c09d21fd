"""The openai_images backend against the fake server's images routes: sizes, seeds, OpenAI's
transparent-mask convention, retries, failures that stay with their request, and an
unreachable server that stops the run."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from PIL import Image

from mmrecipe.backends import build_backend
from mmrecipe.backends.imagegen.base import ImageRequest
from mmrecipe.errors import BackendError, BackendUnavailable
from mmrecipe.testing.openai_server import FakeOpenAIServer


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    fake = FakeOpenAIServer(faults={"flaky": ["500"], "refuse": "400"}, api_key="sk-test")
    fake.start()
    yield fake
    fake.stop()


def _backend(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch, **kw: object) -> object:
    monkeypatch.setenv("IMG_KEY", "sk-test")
    spec = {"type": "openai_images", "model": "gpt-image-1", "base_url": server.base_url}
    spec.update(api_key_env="IMG_KEY", backoff_s=0.01, **kw)
    return build_backend("images", spec)


def test_generations(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend(server, monkeypatch, size="48x32", send_seed=True)
    out = backend.render([ImageRequest("a red dog", 3), ImageRequest("a red dog", 4)])
    assert [r.error for r in out] == [None, None]
    assert out[0].image.size == (48, 32)
    assert out[0].image.getpixel((0, 0)) != out[1].image.getpixel((0, 0))  # the seed was sent
    assert [r["seed"] for r in server.image_requests] == [3, 4]
    assert backend.capabilities == frozenset({"text_to_image", "image_edit", "inpaint"})


def test_edit_with_mask(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend(server, monkeypatch)
    source = Image.new("RGB", (40, 30), (10, 200, 10))
    mask = Image.new("L", (40, 30), 0)
    mask.paste(255, (5, 6, 15, 20))  # white = change
    out = backend.render([ImageRequest("make it blue", 1, image=source, mask=mask)])[0]
    assert out.error is None and out.image.size == (40, 30)
    sent = server.image_requests[0]
    assert sent["path"] == "images/edits" and sent["seed"] is None  # no seed unless asked
    assert sent["mask"] == {"mode": "RGBA", "transparent_box": (5, 6, 15, 20)}


def test_retries_and_failures(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _backend(server, monkeypatch)
    out = backend.render([ImageRequest("flaky prompt", 1), ImageRequest("refuse this", 1)])
    assert out[0].error is None  # a 500, then an answer
    assert out[1].error is not None and "HTTP 400" in out[1].error


def test_settings_and_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    base = {"type": "openai_images", "model": "m", "base_url": "http://127.0.0.1:9/v1"}
    with pytest.raises(BackendError, match="NO_SUCH_KEY"):
        build_backend("x", {**base, "api_key_env": "NO_SUCH_KEY"})
    with pytest.raises(BackendError, match="size"):
        build_backend("x", {**base, "size": "big"})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        spec = {**base, "base_url": f"http://127.0.0.1:{port}/v1", "max_retries": 1}
        backend = build_backend("x", {**spec, "backoff_s": 0.01})
        with pytest.raises(BackendUnavailable, match="cannot reach"):
            backend.render([ImageRequest("a", 1)])
