"""A fault-injecting OpenAI-compatible server on loopback (aiohttp.web in a background thread).

It answers ``/v1/chat/completions`` deterministically ("answer to: <prompt> [images=N]") and
can act as three kinds of server:

* ``plain``: OpenAI / ``transformers serve``: any non-OpenAI body field (``top_k``,
  ``continue_final_message``, ...) gets HTTP 422, as those servers do;
* ``vllm``: also ``GET /version``, ``/tokenize`` + ``/detokenize`` (to check how the chat
  template ends a continued message) and hooking through ``continue_final_message``;
* ``sglang``: also ``GET /get_model_info`` and the native ``POST /generate``.

Faults are injected per request: ``faults`` maps a substring of the prompt to the faults its
successive attempts get (a list; later attempts succeed) or to one fault every attempt gets (a
string). Faults: ``timeout`` (hang), ``429`` (with ``Retry-After``), ``500``, ``503``, ``reset``
(drop the connection), ``malformed`` (HTTP 200 with broken JSON), ``empty`` (an answer of
blanks), ``400``, ``422``. Counters are keyed by the last user text plus a digest of its images.
A ``responder`` (body -> text, or None for the default) scripts the answers of a test.

Run standalone (the HTTP benchmark does): ``python -m mmrecipe.testing.openai_server --delay 0.1``
prints ``PORT <n>`` and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web

from mmrecipe.testing.fake_images import add_image_routes

# the scripted answers stay importable from here (they moved to server_scripts.py, issue 25)
from mmrecipe.testing.server_scripts import SCRIPTS as SCRIPTS
from mmrecipe.testing.server_scripts import annotations_script as annotations_script
from mmrecipe.testing.server_scripts import by_marker as by_marker
from mmrecipe.testing.server_scripts import honeypipe_script as honeypipe_script
from mmrecipe.testing.server_scripts import image_tag, text_of
from mmrecipe.testing.server_scripts import oasis_script as oasis_script

ServerKind = Literal["plain", "vllm", "sglang"]

#: body fields a plain OpenAI-compatible server accepts on /v1/chat/completions
OPENAI_FIELDS = {
    "model",
    "messages",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "seed",
    "stop",
    "logprobs",
    "top_logprobs",
    "frequency_penalty",
    "presence_penalty",
    "response_format",
    "stream",
    "user",
}


class FakeOpenAIServer:
    """An OpenAI-compatible server for tests; ``start()`` returns its ``/v1`` base URL."""

    def __init__(
        self,
        kind: ServerKind = "plain",
        *,
        model: str = "fake-vlm",
        delay_s: float = 0.0,
        faults: dict[str, list[str] | str] | None = None,
        api_key: str | None = None,
        retry_after: str = "0.05",
        hang_s: float = 5.0,
        old_transformers: bool = False,
        keep_bodies: bool = True,
        responder: Callable[[dict[str, Any]], str | None] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.kind = kind
        self.model = model
        self.delay_s = delay_s
        self.faults = dict(faults or {})
        self.api_key = api_key
        self.retry_after = retry_after
        self.hang_s = hang_s
        self.old_transformers = old_transformers
        self.keep_bodies = keep_bodies
        self.responder = responder
        self.host = host
        self.port = port
        #: attempts per prompt key (every request that reached a handler)
        self.attempts: Counter[str] = Counter()
        #: successful answers per prompt key
        self.answered: Counter[str] = Counter()
        #: (path, key, status or fault) of every request, in arrival order
        self.log: list[tuple[str, str, str]] = []
        self.headers_seen: list[dict[str, str]] = []
        #: every chat body received (tests check what was sent)
        self.bodies: list[dict[str, Any]] = []
        #: every images/* request received (see mmrecipe.testing.fake_images)
        self.image_requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # lifecycle --------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        add_image_routes(app, self)  # images/generations and images/edits
        if self.kind == "vllm":
            app.router.add_get("/version", self._version)
            app.router.add_post("/tokenize", self._tokenize)
            app.router.add_post("/detokenize", self._detokenize)
        if self.kind == "sglang":
            app.router.add_get("/get_model_info", self._model_info)
            app.router.add_post("/generate", self._generate)
        return app

    def start(self) -> str:
        """Serve in a background thread; returns the ``/v1`` base URL."""
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fake-openai")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake OpenAI server did not start")
        return self.base_url

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._astart())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
        self._loop.close()

    async def _astart(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=2048)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> FakeOpenAIServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def repeated(self) -> dict[str, int]:
        """Prompt keys answered successfully more than once (paid twice)."""
        with self._lock:
            return {k: v for k, v in self.answered.items() if v > 1}

    # handlers ---------------------------------------------------------------------------
    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model}]})

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.11.0"})

    async def _model_info(self, request: web.Request) -> web.Response:
        return web.json_response({"model_path": self.model, "is_generation": True})

    def _render(self, body: dict[str, Any]) -> str:
        """A Qwen-style rendering of ``messages`` (what /tokenize would tokenize)."""
        out = ""
        messages = body.get("messages", [])
        for i, msg in enumerate(messages):
            out += f"<|im_start|>{msg['role']}\n{text_of(msg.get('content'))}"
            last = i == len(messages) - 1
            if not (last and body.get("continue_final_message")) or self.old_transformers:
                out += "<|im_end|>\n"
        if body.get("add_generation_prompt", True) and not body.get("continue_final_message"):
            out += "<|im_start|>assistant\n"
        return out

    async def _tokenize(self, request: web.Request) -> web.Response:
        body = await request.json()
        text = self._render(body) if "messages" in body else body.get("prompt", "")
        return web.json_response({"tokens": [ord(c) for c in text], "count": len(text)})

    async def _detokenize(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"prompt": "".join(chr(t) for t in body["tokens"])})

    def _check_auth(self, request: web.Request) -> web.Response | None:
        with self._lock:
            self.headers_seen.append(dict(request.headers))
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": {"message": "bad api key"}}, status=401)
        return None

    async def _admit(self, body: dict[str, Any], key: str) -> str | None:
        """A request's common start: keep its body, take its next fault, wait the delay."""
        if self.keep_bodies:
            with self._lock:
                self.bodies.append(body)
        fault = self._next_fault(key)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return fault

    def _next_fault(self, key: str) -> str | None:
        with self._lock:
            self.attempts[key] += 1
            attempt = self.attempts[key]
        for pattern, plan in self.faults.items():
            if pattern in key:
                if isinstance(plan, str):
                    return plan
                return plan[attempt - 1] if attempt <= len(plan) else None
        return None

    async def _apply_fault(
        self, request: web.Request, fault: str, path: str, key: str
    ) -> web.StreamResponse:
        with self._lock:
            self.log.append((path, key, fault))
        if fault == "timeout":
            await asyncio.sleep(self.hang_s)
            return web.json_response({"error": "late"}, status=504)
        if fault == "429":
            return web.json_response(
                {"error": {"message": "rate limited"}},
                status=429,
                headers={"Retry-After": self.retry_after},
            )
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if fault == "malformed":
            broken = '{"choices": [{"mess'
            return web.Response(status=200, text=broken, content_type="application/json")
        return web.json_response({"error": {"message": f"injected {fault}"}}, status=int(fault))

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.json_response({"error": "bad json"}, status=400)
        messages = body.get("messages") or []
        hook = bool(body.get("continue_final_message"))
        if self.kind == "plain":
            unknown = sorted(set(body) - OPENAI_FIELDS)
            if unknown:
                return web.json_response(
                    {"detail": [{"loc": ["body", k], "msg": "Extra inputs"} for k in unknown]},
                    status=422,
                )
        key = ("hook:" if hook else "") + _prompt_key(messages) + image_tag(messages)
        fault = await self._admit(body, key)
        if fault is not None and fault != "empty":
            return await self._apply_fault(request, fault, "chat", key)
        n_images = sum(_count_images(m.get("content")) for m in messages)
        n_videos = sum(_count_videos(m.get("content")) for m in messages)
        if n_videos and self.kind == "plain":  # OpenAI itself takes no video parts
            return web.json_response(
                {"error": {"message": "Invalid content part type: video_url"}}, status=400
            )
        if hook:
            rendered = self._render(body)
            base = "<|im_end|>\nThe image shows" if rendered.endswith("<|im_end|>\n") else "What is"
            base += f" in this picture? [images={n_images}]"
        else:
            base = f"answer to: {_prompt_key(messages)} [images={n_images}]"
        if n_videos:
            base += f" [videos={n_videos}]"
        scripted = self.responder(body) if self.responder is not None else None
        if scripted is not None:
            base = scripted
        n = int(body.get("n") or 1)
        texts = [base if i == 0 else f"{base} #{i}" for i in range(n)]
        if fault == "empty":
            texts = ["  " for _ in texts]
        if body.get("temperature", 0) and body.get("seed") is not None:
            texts = [f"{t} seed={body['seed']}" for t in texts]
        choices = []
        for i, text in enumerate(texts):
            choice: dict[str, Any] = {
                "index": i,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
            if body.get("logprobs"):
                choice["logprobs"] = {
                    "content": [{"token": w, "logprob": -0.5} for w in text.split()]
                }
            choices.append(choice)
        with self._lock:
            self.answered[key] += 1
            self.log.append(("chat", key, "200"))
        prompt_tokens = len(key.split()) + 10 * n_images
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.get("model", self.model),
                "choices": choices,
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": sum(len(t.split()) for t in texts),
                    "total_tokens": prompt_tokens + sum(len(t.split()) for t in texts),
                },
            }
        )

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        body = await request.json()
        text = body.get("text", "")
        images = body.get("image_data") or []
        if isinstance(images, str):
            images = [images]
        videos = body.get("video_data") or []
        if isinstance(videos, str):
            videos = [videos]
        key = "generate:" + text
        fault = await self._admit(body, key)
        if fault is not None:
            return await self._apply_fault(request, fault, "generate", key)
        sp = body.get("sampling_params") or {}
        n = int(sp.get("n") or 1)
        out = []
        for i in range(n):
            answer = f"What is shown here? [images={len(images)}]" + (f" #{i}" if i else "")
            if videos:  # SGLang's native video input
                answer = f"What happens in this video? [videos={len(videos)}]" + (
                    f" #{i}" if i else ""
                )
            meta: dict[str, Any] = {
                "prompt_tokens": len(text) // 4 + 10 * len(images),
                "completion_tokens": len(answer.split()),
                "finish_reason": {"type": "stop"},
            }
            if body.get("return_logprob"):
                meta["output_token_logprobs"] = [[-0.25, 1, w] for w in answer.split()]
            out.append({"text": answer, "meta_info": meta})
        with self._lock:
            self.answered[key] += 1
            self.log.append(("generate", key, "200"))
        return web.json_response(out if n > 1 else out[0])


def _prompt_key(messages: list[dict[str, Any]]) -> str:
    """The text of the last user message: what faults and counters are keyed by."""
    for msg in reversed(messages):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, str):
                return content
            return " ".join(p.get("text", "") for p in content or [] if p.get("type") == "text")
    return ""


def _count_videos(content: Any) -> int:
    if isinstance(content, list):
        return sum(1 for p in content if p.get("type") == "video_url")
    return 0


def _count_images(content: Any) -> int:
    if isinstance(content, list):
        return sum(1 for p in content if p.get("type") == "image_url")
    return 0


def spawn(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start this server in its own process (``args``: its command-line flags, e.g.
    ``"--delay", "0.1"``), so it does not share a core with the client being measured.
    Returns the process and its ``/v1`` base URL; kill the process when done."""
    cmd = [sys.executable, "-m", "mmrecipe.testing.openai_server", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"the fake OpenAI server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{line.split()[1]}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--kind", choices=["plain", "vllm", "sglang"], default="plain")
    parser.add_argument("--script", choices=sorted(SCRIPTS), help="scripted answers")
    args = parser.parse_args()
    server = FakeOpenAIServer(
        args.kind,
        delay_s=args.delay,
        host=args.host,
        port=args.port,
        keep_bodies=False,
        responder=SCRIPTS[args.script] if args.script else None,
    )

    async def serve() -> None:
        runner = web.AppRunner(server.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port, backlog=4096)
        await site.start()
        print(f"PORT {runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
