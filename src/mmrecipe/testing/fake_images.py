"""``/v1/images/generations`` and ``/v1/images/edits`` for the fake OpenAI server: a
deterministic picture per (prompt, seed, source) so tests can check what came back, the
server's fault injection (``faults`` keyed by prompt text), and a log of what was received
(``server.image_requests``: path, prompt, seed, size, whether a mask came, its transparency)."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

from aiohttp import web
from PIL import Image, ImageDraw


def picture(prompt: str, seed: Any, size: tuple[int, int], source: Image.Image | None) -> bytes:
    """A flat colour from the prompt and seed with a stripe; over the source for edits."""
    digest = hashlib.sha256(f"{prompt}\x1f{seed}".encode()).digest()
    color = (digest[0], digest[1], digest[2])
    im = source.convert("RGB").resize(size) if source is not None else Image.new("RGB", size, color)
    ImageDraw.Draw(im).rectangle([0, 0, size[0] // 2, size[1] // 2], fill=color)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def add_image_routes(app: web.Application, server: Any) -> None:
    async def answer(request: web.Request, path: str, fields: dict[str, Any]) -> web.StreamResponse:
        denied = server._check_auth(request)
        if denied is not None:
            return denied
        prompt = str(fields.get("prompt", ""))
        fault = server._next_fault(prompt)
        if fault is not None:
            return await server._apply_fault(request, fault, path, prompt)
        source = None
        if isinstance(fields.get("image"), bytes):
            source = Image.open(io.BytesIO(fields["image"]))
            size = source.size
        else:
            w, _, h = str(fields.get("size") or "64x64").partition("x")
            size = (int(w), int(h))
        mask_info = None
        if isinstance(fields.get("mask"), bytes):
            mask = Image.open(io.BytesIO(fields["mask"]))
            alpha = mask.getchannel("A") if mask.mode == "RGBA" else None
            mask_info = {
                "mode": mask.mode,
                "transparent_box": alpha and alpha.point(lambda a: 255 if a == 0 else 0).getbbox(),
            }
        server.image_requests.append(
            {
                "path": path,
                "prompt": prompt,
                "seed": fields.get("seed"),
                "size": size,
                "mask": mask_info,
            }
        )
        data = picture(prompt, fields.get("seed"), size, source)
        return web.json_response(
            {"created": 0, "data": [{"b64_json": base64.b64encode(data).decode()}]}
        )

    async def generations(request: web.Request) -> web.StreamResponse:
        return await answer(request, "images/generations", await request.json())

    async def edits(request: web.Request) -> web.StreamResponse:
        fields: dict[str, Any] = {}
        async for part in await request.multipart():
            if part.name in ("image", "mask"):
                fields[part.name] = bytes(await part.read())
            elif part.name:
                fields[part.name] = await part.text()
        return await answer(request, "images/edits", fields)

    app.router.add_post("/v1/images/generations", generations)
    app.router.add_post("/v1/images/edits", edits)
