"""The Backend protocol every model op talks to, and the request/generation types.

A backend is built in an op's ``setup`` from a picklable spec (the recipe's ``backends:``
entry), so the same op runs in a local worker or a Ray actor. Ops never ``isinstance`` a
concrete backend: they ask for capabilities (``require``) and fail at start with a clear message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from mmrecipe.errors import BackendError
from mmrecipe.sample import ImageRef, VideoRef

Capability = Literal["vision", "hook", "text_hook", "logprobs", "json_schema", "ocr"]

#: which backends can hook, for error messages
HOOK_CAPABLE = (
    "backend type 'vllm' (in-process), type 'transformers' (in-process), "
    "or type 'openai' against a vLLM server (server: vllm, transformers >= 4.57 on the server) "
    "or an SGLang server (server: sglang)"
)


@dataclass(frozen=True)
class SamplingParams:
    """Sampling parameters; engines map what they support and ignore ``None``."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int | None = None
    max_tokens: int = 1024
    min_tokens: int | None = None
    stop: tuple[str, ...] = ()
    n: int = 1
    seed: int | None = None
    logprobs: bool = False
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    repetition_penalty: float | None = None
    #: strings whose token ids must never be generated (e.g. "<|im_start|>"), where supported
    banned_tokens: tuple[str, ...] = ()
    #: a JSON schema the output must follow, where the backend has ``json_schema``
    json_schema: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChatRequest:
    """One request: a chat (``messages`` with ``<image>`` placeholders matching ``images``), or,
    with ``hook=True``, a hooking request: only the images and the model's pre-query prefix, so
    the model writes a user instruction by itself (Oasis)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    images: list[ImageRef] = field(default_factory=list)
    hook: bool = False
    #: distinguishes repeated samples of the same request at temperature > 0 (cache key)
    sample_index: int = 0
    #: for logs and error messages: "<sample id>/<step>"
    request_id: str = ""
    #: videos, matched in order with ``<video>`` placeholders (see backends/video_input.py)
    videos: list[VideoRef] = field(default_factory=list)


@dataclass
class Generation:
    """The answer to one request. ``error`` is set when it failed for good (after retries):
    the op then rejects its sample with that reason instead of stopping the run."""

    texts: list[str] = field(default_factory=list)
    #: per output, the log-probability of each generated token (when asked and supported)
    token_logprobs: list[list[float]] | None = None
    finish_reasons: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    cached: bool = False
    #: the reject reason for a failure (``model_error`` when None), e.g. ``answer_too_large``
    error_reason: str | None = None
    #: the failure was a transport one (server error, time-out, refused connection, rate
    #: limit after all retries): the sample is rejected now and retried by the next run
    transient: bool = False

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Generation:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


@runtime_checkable
class Backend(Protocol):
    """A model behind ``generate``. An engine running in this process also sets the class
    attribute ``in_process = True``: the executor then hands it whole shards instead of
    pipelining small chunks, since one engine batches a big request list best."""

    name: str
    model: str
    capabilities: frozenset[str]

    async def generate(
        self, requests: list[ChatRequest], params: SamplingParams
    ) -> list[Generation]:
        """Answer every request (same order); failures come back as ``Generation.error``."""
        ...

    async def aclose(self) -> None: ...


def require(backend: Backend, *capabilities: Capability, step: str = "") -> None:
    """Fail fast (at setup) when a backend lacks what an op needs."""
    missing = [c for c in capabilities if c not in backend.capabilities]
    if not missing:
        return
    who = f"step {step!r}: " if step else ""
    if "hook" in missing:
        raise BackendError(
            f"{who}backend {backend.name!r} ({backend.model}) cannot hook (image + chat-template "
            f"prefix, no query). Use {HOOK_CAPABLE}."
        )
    if "text_hook" in missing:
        raise BackendError(
            f"{who}backend {backend.name!r} ({backend.model}) cannot hook without an image: its "
            "chat template has no pre-query part to cut (no user header, or the user's text is "
            "not rendered verbatim), or it is a plain OpenAI server. Use a vllm/sglang server or "
            "an in-process model whose template can be cut (backends/text_hook.py)."
        )
    raise BackendError(
        f"{who}backend {backend.name!r} ({backend.model}) lacks {', '.join(missing)}"
    )


def engine_capabilities(vision: bool, hook_prefix: str | None, *extra: str) -> frozenset[str]:
    """What an in-process engine (transformers, vLLM) offers: logprobs always, ``vision`` for a
    vision model, ``hook`` when that model also has a hook prefix, plus ``extra``."""
    caps = {"logprobs", *extra}
    if vision:
        caps.add("vision")
        if hook_prefix is not None:
            caps.add("hook")
    return frozenset(caps)
