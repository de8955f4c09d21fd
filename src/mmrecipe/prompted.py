"""Asking a model prompts filled from each sample's fields: what every model op shares.

A :class:`PromptCaller` fills ``{field}`` templates from ``sample.fields``, attaches the
sample's images where asked, sends a whole batch to the backend at once (so an HTTP backend keeps
many requests in flight), keeps raw answers in ``sample.trace[<step>]`` and turns failures into
rejections: ``missing_field``, ``model_error`` (after the backend's retries; transient when
the failure was a transport one, so the next run retries it), ``answer_too_large`` and
``empty_output``. The op then reads the answers and decides. :class:`PromptedOp` is the rest
every such op repeated (I/O-bound, the caller's setup, no synchronous entry point).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from mmrecipe.backends.base import Backend, Capability, ChatRequest, Generation, SamplingParams
from mmrecipe.backends.base import require as require_caps
from mmrecipe.context import OpContext
from mmrecipe.sample import Sample

IMAGE = "<image>"
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: model answers longer than this are cut in the trace (the full text still reaches the op)
_TRACE_TEXT_LIMIT = 20_000


def template_fields(template: str) -> list[str]:
    """The ``{name}`` fields a template reads, in order, once each."""
    return list(dict.fromkeys(_FIELD.findall(template)))


def fill_template(template: str, fields: dict[str, Any]) -> str:
    """Replace ``{name}`` by ``fields[name]`` (KeyError names a missing field); other braces,
    like JSON examples in a prompt, stay as they are. Values are inserted verbatim, never
    re-scanned, so a model's text containing ``{x}`` cannot pull in another field."""

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in fields or fields[key] is None:
            raise KeyError(key)
        value = fields[key]
        return value if isinstance(value, str) else str(value)

    return _FIELD.sub(sub, template)


def user_content(text: str, n_images: int) -> str:
    """The user turn: ``<image>`` placeholders first unless the prompt places them itself."""
    if not n_images or IMAGE in text:
        return text
    return IMAGE * n_images + "\n" + text


def prompt_digest(template: str) -> str:
    """A short id of a prompt template, kept in traces instead of long few-shot prompts."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()[:12]


@dataclass
class Answer:
    """One sample's answers, by prompt key, after failures were turned into rejections."""

    sample: Sample
    generations: dict[str, Generation]
    prompts: dict[str, str]

    def text(self, key: str) -> str:
        return self.generations[key].text


class PromptCaller:
    """Sends each sample one request per template (``templates``: key -> template).

    Args:
        backend_name: the recipe's backend this caller talks to.
        templates: prompt templates by key (one key for most ops).
        params: sampling parameters for every request.
        use_images: attach the sample's images (the backend must have ``vision``).
        system: an optional system prompt.
        keep_messages: keep the whole request in the trace (short prompts); otherwise only a
            digest of the template, so few-shot prompts are not copied into every sample.
        capabilities: what the backend must offer besides ``vision``.
    """

    def __init__(
        self,
        backend_name: str,
        templates: dict[str, str],
        params: SamplingParams,
        *,
        use_images: bool,
        system: str | None = None,
        keep_messages: bool = False,
        capabilities: tuple[Capability, ...] = (),
    ) -> None:
        self.backend_name = backend_name
        self.templates = dict(templates)
        self.params = params
        self.use_images = use_images
        self.system = system
        self.keep_messages = keep_messages
        self.capabilities = capabilities
        self.backend: Backend | None = None

    def reads(self) -> tuple[str, ...]:
        """The sample parts the templates read (the op's contract)."""
        fields = dict.fromkeys(f for t in self.templates.values() for f in template_fields(t))
        return (*(("images",) if self.use_images else ()), *(f"fields.{f}" for f in fields))

    def setup(self, ctx: OpContext, step: str) -> None:
        """Build (or share) the backend and check it can do what this caller asks."""
        self.backend = ctx.backend(self.backend_name)
        caps: tuple[Capability, ...] = (*(("vision",) if self.use_images else ()),)
        require_caps(self.backend, *caps, *self.capabilities, step=step)

    async def ask(self, samples: list[Sample], step: str) -> list[Answer]:
        """Ask every live sample its prompts; return the answers of those still alive."""
        assert self.backend is not None, "setup() was not called"
        pending: list[tuple[Sample, dict[str, str], dict[str, ChatRequest]]] = []
        for sample in samples:
            if sample.rejected:
                continue
            try:
                prompts = {k: fill_template(t, sample.fields) for k, t in self.templates.items()}
            except KeyError as exc:
                sample.reject(step, "missing_field", f"prompt needs fields.{exc.args[0]}, not set")
                continue
            requests = {
                key: ChatRequest(
                    messages=self._messages(text, len(sample.images) if self.use_images else 0),
                    images=list(sample.images) if self.use_images else [],
                    videos=list(sample.videos) if self.use_images else [],
                    request_id=f"{sample.id}/{step}" + (f"/{key}" if len(prompts) > 1 else ""),
                )
                for key, text in prompts.items()
            }
            pending.append((sample, prompts, requests))
        flat = [r for _, _, reqs in pending for r in reqs.values()]
        if not flat:
            return []
        generations = iter(await self.backend.generate(flat, self.params))
        answers: list[Answer] = []
        for sample, prompts, requests in pending:
            gens = {key: next(generations) for key in requests}
            traces = {key: self.trace(key, requests[key], gens[key]) for key in requests}
            sample.trace[step] = next(iter(traces.values())) if len(traces) == 1 else traces
            failed = [(key, g) for key, g in gens.items() if g.error]
            if failed:
                key, gen = failed[0]
                reject_failed(sample, step, gen, None if len(gens) == 1 else key)
                continue
            if any(not any(t.strip() for t in g.texts) for g in gens.values()):
                sample.reject(step, "empty_output", "the model answered with empty text")
                continue
            answers.append(Answer(sample, gens, prompts))
        return answers

    def _messages(self, text: str, n_images: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        if self.system:
            messages.append({"role": "system", "content": self.system})
        messages.append({"role": "user", "content": user_content(text, n_images)})
        return messages

    def trace(self, key: str, request: ChatRequest, gen: Generation) -> dict[str, Any]:
        """What the trace keeps of one request and its answer (never an API key)."""
        assert self.backend is not None
        req: dict[str, Any] = {"backend": self.backend_name, "model": self.backend.model}
        if self.keep_messages:
            req["messages"] = request.messages
        else:
            req["prompt_digest"] = prompt_digest(self.templates[key])
        if request.images:
            req["images"] = [ref.path for ref in request.images]
        req["params"] = params_trace(self.params)
        return {"request": req, "response": generation_trace(gen)}


class IoBoundOp:
    """Mixin for an op that waits on a model server: put it before the op kind
    (``class X(IoBoundOp, MapOp)``). The executor runs it as a coroutine
    (``aprocess_batch`` / ``ascore``); the synchronous entry points, which it never gets,
    refuse."""

    io_bound = True
    op_name: str
    kind: str

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        entry = "ascore" if self.kind == "filter" else "aprocess_batch"
        raise TypeError(f"{self.op_name} is I/O-bound: the executor calls {entry}")

    def score(self, samples: list[Sample]) -> None:
        raise TypeError(f"{self.op_name} is I/O-bound: the executor calls ascore")


class PromptedOp(IoBoundOp):
    """Mixin for an op that asks a model through ``self.caller`` (a :class:`PromptCaller` its
    constructor builds): put it before the op kind (``class X(PromptedOp, MapOp)``). It is
    an :class:`IoBoundOp` and sets its caller up with it. A new prompted op is its parameters,
    its caller and ``aprocess_batch`` (or ``ascore`` + ``keep``)."""

    caller: PromptCaller
    name: str

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)  # the op kind's, next in the MRO
        self.caller.setup(ctx, self.name)


def reject_failed(sample: Sample, step: str, gen: Generation, key: str | None = None) -> Sample:
    """Reject a sample whose request failed for good: ``gen.error_reason`` or ``model_error``,
    marked transient for transport failures, so the next run retries it."""
    error = gen.error or "unknown error"
    return sample.reject(
        step,
        gen.error_reason or "model_error",
        error if key is None else f"{key}: {error}",
        transient=gen.transient,
    )


def params_trace(params: SamplingParams) -> dict[str, Any]:
    """Sampling parameters as kept in a trace: the ones that are set."""
    return {k: v for k, v in params.to_dict().items() if v not in ((), None)}


def generation_trace(gen: Generation) -> dict[str, Any]:
    """A generation as kept in a trace: texts (cut when huge), reasons, tokens, cache, error.

    A cut text is referred to by its sha256 (``full_text_sha256``): the answer itself is stored
    once, in the outputs and (cached) in ``state/answers/<sha256>.txt``, never copied here."""
    out: dict[str, Any] = {
        "texts": [t if len(t) <= _TRACE_TEXT_LIMIT else t[:_TRACE_TEXT_LIMIT] for t in gen.texts],
        "finish_reasons": gen.finish_reasons,
        "prompt_tokens": gen.prompt_tokens,
        "completion_tokens": gen.completion_tokens,
        "cached": gen.cached,
    }
    if any(len(t) > _TRACE_TEXT_LIMIT for t in gen.texts):
        out["full_text_sha256"] = [
            hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest()
            if len(t) > _TRACE_TEXT_LIMIT
            else None
            for t in gen.texts
        ]
    if gen.error:
        out["error"] = gen.error
        if gen.transient:
            out["transient"] = True
    return out
