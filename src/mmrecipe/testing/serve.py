"""Start ``transformers serve`` for a local model folder on a free loopback port.

``transformers serve`` (extra ``transformers[serving]``) is a real OpenAI-compatible
multimodal server; served with the tiny random model it lets the HTTP backend be tested end to
end offline. The model is preloaded (``FORCE_MODEL``), so every request uses it whatever
``model`` it names; requests should still name the folder path, as a real client would.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=1.0) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def transformers_serve(
    model_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    device: str = "cpu",
    startup_timeout: float = 120.0,
    extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Run ``transformers serve MODEL_DIR`` while the block runs; yields the ``/v1`` base URL.

    Forces offline mode (``HF_HUB_OFFLINE=1``) and an empty private hub cache, so nothing is
    downloaded and ``GET /v1/models`` answers. Raises ``RuntimeError`` with the server's log
    tail if it exits or does not answer within ``startup_timeout`` seconds.
    """
    port = port or free_port(host)
    root = f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="mmrecipe-serve-") as tmp:
        hub_cache = Path(tmp) / "hub"
        hub_cache.mkdir()
        env = dict(os.environ)
        env.update(
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_CACHE=str(hub_cache),
            TOKENIZERS_PARALLELISM="false",
        )
        log_path = Path(tmp) / "serve.log"
        cmd = [
            sys.executable,
            "-m",
            "transformers.cli.transformers",
            "serve",
            str(model_dir),
            "--host",
            host,
            "--port",
            str(port),
            "--device",
            device,
            "--log-level",
            "warning",
            *extra_args,
        ]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + startup_timeout
            while not _healthy(root):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    state = (
                        f"exited with {proc.returncode}"
                        if proc.poll() is not None
                        else f"did not answer within {startup_timeout:.0f}s"
                    )
                    raise RuntimeError(f"transformers serve {state}; log tail:\n{tail}")
                time.sleep(0.25)
            yield f"{root}/v1"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
