"""HTTP backend throughput against a local OpenAI-compatible server that answers after a fixed
delay, compared in the same run with a minimal raw aiohttp client (the ceiling on this machine).

    PYTHONPATH=src python benchmarks/http_throughput.py [--requests 5000] [--concurrency 64 256]

The server runs in its own process so it does not share the client's core. Every request is an
image chat request (one small PNG, sent as a base64 data URL). Printed per concurrency:
requests/s of both clients, the backend's ratio to the ideal ``concurrency / delay`` and its
ratio to the raw client (target >= 0.9).

``--whole N:C [N:C ...]`` measures the whole process instead (issue 21): ``mmrecipe run
recipes/recaption.yaml --no-cache`` as a subprocess (start-up, intake, requests, shards, report)
beside a raw client sending one image-chat request per image of the same folder (images
pre-encoded, nothing written), against the same server, in one run:

    PYTHONPATH=src python benchmarks/http_throughput.py --whole 2000:64 8000:256
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
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


ROOT = Path(__file__).resolve().parents[1]


def make_images(folder: Path, n: int) -> list[Path]:
    """``n`` distinct small JPEGs (a gradient plus noise, 96x64), as an image folder."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    base = np.linspace(0, 255, 96 * 64 * 3).reshape(64, 96, 3)
    paths = []
    for i in range(n):
        noise = rng.integers(0, 40, (64, 96, 3))
        arr = ((base + noise + i) % 256).astype(np.uint8)
        path = folder / f"img{i:06d}.jpg"
        Image.fromarray(arr).save(path, quality=85)
        paths.append(path)
    return paths


async def raw_folder_client(url: str, images: list[Path], concurrency: int) -> float:
    """One request per image, each pre-encoded as a data URL; nothing written."""
    urls = ["data:image/jpeg;base64," + base64.b64encode(p.read_bytes()).decode() for p in images]
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(data_url: str) -> str:
            body = {
                "model": "fake-vlm",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": data_url}},
                            {"type": "text", "text": "Describe this image in detail."},
                        ],
                    }
                ],
                "temperature": 0.0,
                "max_tokens": 512,
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
        texts = await asyncio.gather(*(one(u) for u in urls))
        elapsed = time.perf_counter() - t0
    assert len(texts) == len(images) and all(texts)
    return len(images) / elapsed


def mmrecipe_run(
    url: str, folder: Path, n: int, concurrency: int, out: Path, src: Path = ROOT / "src"
) -> float:
    """Requests/s of the whole ``mmrecipe run`` process, start-up included."""
    cmd = [
        sys.executable,
        "-m",
        "mmrecipe",
        "run",
        str(ROOT / "recipes" / "recaption.yaml"),
        "--no-cache",
        "--quiet",
        "--input",
        str(folder),
        "-o",
        str(out),
        "--set",
        f"backends.mllm.base_url={url}",
        "--set",
        "backends.mllm.server=openai",
        "--set",
        "backends.mllm.model=fake-vlm",
        "--set",
        f"backends.mllm.concurrency={concurrency}",
    ]
    env = dict(os.environ, PYTHONPATH=str(src))
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    elapsed = time.perf_counter() - t0
    written = sum(1 for _ in (out / "data").rglob("*.json*"))
    assert written, f"nothing written under {out}"
    return n / elapsed


def whole_process(
    rows_spec: list[str], delay: float, repeat: int, before: Path | None = None
) -> None:
    proc, url = spawn("--delay", str(delay))
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            largest = max(int(spec.split(":")[0]) for spec in rows_spec)
            all_images = make_images(Path(tmp) / "all", largest)
            asyncio.run(raw_folder_client(url, all_images[:200], 64))  # warm up
            for k, spec in enumerate(rows_spec):
                n, conc = (int(x) for x in spec.split(":"))
                folder = Path(tmp) / f"in{n}"
                if not folder.exists():
                    folder.mkdir()
                    for p in all_images[:n]:
                        os.link(p, folder / p.name)
                images = sorted(folder.iterdir())
                raw = ours = old = 0.0
                for r in range(repeat):
                    raw = max(raw, asyncio.run(raw_folder_client(url, images, conc)))
                    out = Path(tmp) / f"run{k}-{r}"
                    ours = max(ours, mmrecipe_run(url, folder, n, conc, out))
                    if before is not None:
                        out = Path(tmp) / f"before{k}-{r}"
                        old = max(old, mmrecipe_run(url, folder, n, conc, out, before))
                rows.append((n, conc, raw, ours, old))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\nwhole process, recipes/recaption.yaml --no-cache, server delay {delay * 1000:.0f} ms")
    if before is None:
        print("| images | concurrency | raw client req/s | mmrecipe req/s | ratio |")
        print("| --- | --- | --- | --- | --- |")
        for n, conc, raw, ours, _ in rows:
            print(f"| {n:,} | {conc} | {raw:,.0f} | {ours:,.0f} | {ours / raw:.2f} |")
        return
    print(f"before: {before}")
    print(
        "| images | concurrency | raw client req/s | before req/s | after req/s "
        "| before ratio | after ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n, conc, raw, ours, old in rows:
        print(
            f"| {n:,} | {conc} | {raw:,.0f} | {old:,.0f} | {ours:,.0f} "
            f"| {old / raw:.2f} | {ours / raw:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--delay", type=float, default=0.1, help="server delay per answer, s")
    parser.add_argument("--repeat", type=int, default=1, help="runs per client; best is kept")
    parser.add_argument(
        "--whole",
        nargs="+",
        metavar="N:C",
        help="whole-process rows (images:concurrency), e.g. 2000:64 8000:256",
    )
    parser.add_argument(
        "--before-src",
        type=Path,
        help="with --whole: also run mmrecipe from this src/ (an older checkout), same server",
    )
    args = parser.parse_args()
    if args.whole:
        whole_process(args.whole, args.delay, args.repeat, args.before_src)
        return

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
