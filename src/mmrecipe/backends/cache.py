"""The run's request cache: a backend wrapper that answers repeated requests from the state store.

A redone shard (after a crash, a deleted marker, or a changed downstream step) asks the same
questions again; the cache answers them without paying the model. The key is the sha256 of what
decides the answer: backend class, model, sampling parameters, messages, the images' sha256,
hooking, and the sample index when sampling is random (temperature > 0). Base URLs, time-outs
and API keys are not part of it. Failed generations are never cached.

Long answers (over ``BLOB_CHARS``) are stored once, as content-addressed files under
``state/answers/<sha256>.txt`` that the cache row refers to: a large answer is not copied into
the database (and its write-ahead log), and identical answers share one file.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from mmrecipe import strictjson
from mmrecipe.backends.base import Backend, ChatRequest, Generation, SamplingParams
from mmrecipe.limits import limit_answer
from mmrecipe.state import StateStore
from mmrecipe.stats import record_usage

#: answer texts longer than this are kept as files under ``state/answers/``, referred to by hash
BLOB_CHARS = 64 * 1024


class CachedBackend:
    """Wraps a backend: hits come from ``state``'s request cache (``cached=True``), misses go to
    the inner backend in one batched call and are stored when they succeeded."""

    def __init__(self, inner: Backend, state: StateStore) -> None:
        self.inner = inner
        self.state = state
        self._file_shas: dict[str, str] = {}
        self.blobs = state.answers_dir

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities

    def __repr__(self) -> str:
        return f"CachedBackend({self.inner!r})"

    def __getattr__(self, item: str) -> Any:
        # engine-specific extras (server kind, hook prefix, ...) stay reachable through the cache
        if item in ("inner", "state", "_file_shas", "blobs"):
            raise AttributeError(item)
        return getattr(self.inner, item)

    async def generate(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        """Answer from the cache where possible; one call to the inner backend for the rest."""
        if not requests:
            return []
        keys = await asyncio.to_thread(self._keys, requests, params)
        found = await asyncio.to_thread(self._lookup, keys)
        out: list[Generation | None] = list(found)
        misses = [i for i, g in enumerate(found) if g is None]
        # identical requests in one batch (same image twice, same question) are paid once
        first_of: dict[str, int] = {}
        for i in misses:
            first_of.setdefault(keys[i], i)
        unique = list(first_of.values())
        fresh: list[Generation] = []
        if unique:
            fresh = await self.inner.generate([requests[i] for i in unique], params)
            if len(fresh) != len(unique):
                raise RuntimeError(
                    f"backend {self.name!r} answered {len(fresh)} of {len(unique)} requests"
                )
            by_key = {keys[i]: gen for i, gen in zip(unique, fresh, strict=True)}
            for i in misses:
                gen = by_key[keys[i]]
                out[i] = gen if i == first_of[keys[i]] else Generation.from_dict(gen.to_dict())
            to_store = [(keys[i], by_key[keys[i]]) for i in unique if by_key[keys[i]].error is None]
            if to_store:
                await asyncio.to_thread(self._store, to_store)
        hits = len(requests) - len(unique)
        counts: dict[str, int] = {"cache_hits": hits}
        if not getattr(self.inner, "records_usage", False):
            counts.update(
                requests=len(fresh),
                prompt_tokens=sum(g.prompt_tokens for g in fresh),
                completion_tokens=sum(g.completion_tokens for g in fresh),
                errors=sum(1 for g in fresh if g.error),
            )
        record_usage(self.name, **counts)
        return [g for g in out if g is not None]

    async def aclose(self) -> None:
        await self.inner.aclose()

    # keys -------------------------------------------------------------------------------
    def _keys(self, requests: list[ChatRequest], params: SamplingParams) -> list[str]:
        inner = self.inner
        identity = getattr(inner, "cache_identity", None)
        base = {
            "backend": f"{type(inner).__module__}.{type(inner).__qualname__}",
            "model": inner.model,
            "params": params.to_dict(),
            "extra": identity() if callable(identity) else {},
        }
        keys = []
        for req in requests:
            data = dict(base)
            data["messages"] = req.messages
            data["images"] = [ref.sha256 or self._file_sha(ref.path) for ref in req.images]
            data["hook"] = req.hook
            if req.videos:  # the file and the frames sampled from it decide the answer
                data["videos"] = [
                    [
                        v.sha256 or self._file_sha(v.path),
                        [[f.get("t"), f.get("sha256")] for f in v.frames],
                    ]
                    for v in req.videos
                ]
            if params.temperature > 0:
                data["sample_index"] = req.sample_index
            blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
            keys.append(hashlib.sha256(blob.encode("utf-8")).hexdigest())
        return keys

    def _file_sha(self, path: str) -> str:
        if path.startswith(("http://", "https://", "data:")):
            return hashlib.sha256(path.encode("utf-8")).hexdigest()
        sha = self._file_shas.get(path)
        if sha is None:
            try:
                sha = file_sha256(path)
            except OSError:
                return f"unreadable:{path}"  # the backend reports the error; never cached
            if len(self._file_shas) > 100_000:
                self._file_shas.clear()
            self._file_shas[path] = sha
        return sha

    def _lookup(self, keys: list[str]) -> list[Generation | None]:
        out: list[Generation | None] = []
        many = getattr(self.state, "cache_get_many", None)  # one round trip on a Ray worker
        raws = many(keys) if many is not None else [self.state.cache_get(k) for k in keys]
        for raw in raws:
            if raw is None:
                out.append(None)
                continue
            data = json.loads(raw)
            if data.get("text_refs") and not self._resolve(data):
                out.append(None)  # an answer file went missing: ask again
                continue
            gen = Generation.from_dict(data)
            gen.cached = True
            # an answer cached under a larger max_answer_bytes is held to today's limit
            out.append(limit_answer(gen, getattr(self.inner, "max_answer_bytes", 0)))
        return out

    def _store(self, items: list[tuple[str, Generation]]) -> None:
        for key, gen in items:
            data = gen.to_dict()
            data["cached"] = False
            refs = [self._put_blob(t) if len(t) > BLOB_CHARS else None for t in data["texts"]]
            if any(refs):
                data["texts"] = ["" if r else t for r, t in zip(refs, data["texts"], strict=True)]
                data["text_refs"] = refs
            self.state.cache_put(key, strictjson.dumps(data, ensure_ascii=False))

    def _put_blob(self, text: str) -> str:
        raw = text.encode("utf-8", "surrogatepass")
        sha = hashlib.sha256(raw).hexdigest()
        path = self.blobs / f"{sha}.txt"
        if not path.exists():
            self.blobs.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(raw)
            tmp.replace(path)
        return sha

    def _resolve(self, data: dict[str, Any]) -> bool:
        """Put the referred answer files' texts back into a cache row (False: one is gone)."""
        texts = list(data.get("texts") or [])
        for i, sha in enumerate(data.pop("text_refs") or []):
            if sha is None:
                continue
            try:
                texts[i] = (self.blobs / f"{sha}.txt").read_bytes().decode("utf-8", "surrogatepass")
            except (OSError, IndexError, ValueError):
                return False
        data["texts"] = texts
        return True


def file_sha256(path: str) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
