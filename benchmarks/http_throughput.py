"""HTTP backend throughput against a local OpenAI-compatible server that answers after a fixed
delay, compared in the same run with a minimal raw aiohttp client (the ceiling on this machine).

    PYTHONPATH=src python benchmarks/http_throughput.py [--requests 5000] [--concurrency 64 256]

The server runs in its own process so it does not share the client's core. Every request is an
image chat request (one small PNG, sent as a base64 data URL). Printed per concurrency:
requests/s of both clients, the backend's ratio to the ideal ``concurrency / delay`` and its
ratio to the raw client (target >= 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np
from PIL import Image

from mmrecipe.backends.base import ChatRequest, SamplingParams
from mmrecipe.backends.openai import OpenAIBackend
from mmrecipe.sample import ImageRef
from mmrecipe.testing.openai_server import spawn


def make_image(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    path = folder / "bench.png"
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(path)
    return path


async def raw_client(url: str, image: Path, n: int, concurrency: int) -> float:
    """The least a client can do: one pooled session, a semaphore, post, parse."""
    data_url = "data:image/png;base64," + base64.b64encode(image.read_bytes()).decode()
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> str:
            body = {
                "model": "fake-vlm",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": data_url}},
                            {"type": "text", "text": f"describe #{i}"},
                        ],
                    }
                ],
                "temperature": 0.0,
                "max_tokens": 64,
            }
            async with (
                sem,
                session.post(
                    url + "/chat/completions",
                    data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                ) as resp,
            ):
                data = json.loads(await resp.read())
            return data["choices"][0]["message"]["content"]

        t0 = time.perf_counter()
        texts = await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - t0
    assert len(texts) == n and all(texts)
    return n / elapsed


async def backend_client(url: str, image: Path, n: int, concurrency: int) -> float:
    backend = OpenAIBackend("bench", "fake-vlm", url, server="openai", concurrency=concurrency)
    ref = ImageRef(path=str(image))
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"<image>describe #{i}"}], images=[ref])
        for i in range(n)
    ]
    t0 = time.perf_counter()
    gens = await backend.generate(requests, SamplingParams(max_tokens=64))
    elapsed = time.perf_counter() - t0
    await backend.aclose()
    errors = [g.error for g in gens if g.error]
    assert not errors, errors[:3]
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--delay", type=float, default=0.1, help="server delay per answer, s")
    parser.add_argument("--repeat", type=int, default=1, help="runs per client; best is kept")
    args = parser.parse_args()

    proc, url = spawn("--delay", str(args.delay))
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            image = make_image(Path(tmp))
            # warm up the server and the connection path
            asyncio.run(raw_client(url, image, 200, 64))
            for conc in args.concurrency:
                raw = best = 0.0
                for _ in range(args.repeat):
                    raw = max(raw, asyncio.run(raw_client(url, image, args.requests, conc)))
                    best = max(best, asyncio.run(backend_client(url, image, args.requests, conc)))
                rows.append((conc, raw, best, conc / args.delay))
    finally:
        proc.terminate()
        proc.wait(10)

    print(f"\n{args.requests} image chat requests, server delay {args.delay * 1000:.0f} ms")
    header = (
        f"{'concurrency':>11} | {'raw req/s':>9} | {'backend req/s':>13} | "
        f"{'backend/ideal':>13} | {'backend/raw':>11}"
    )
    print(header)
    print("-" * len(header))
    for conc, raw, backend, ideal in rows:
        print(
            f"{conc:>11} | {raw:>9.0f} | {backend:>13.0f} | "
            f"{backend / ideal:>13.2f} | {backend / raw:>11.2f}"
        )


if __name__ == "__main__":
    main()
