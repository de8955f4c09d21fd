"""Text-only hooking (Magpie): the chat template's pre-query prefix with no image at all.

Magpie (as the Oasis paper's appendix A.1 tells it) feeds an aligned LLM only "the pre-query
template" of one user turn and takes what it writes as an instruction. A hook request with no
image and an optional system message (``ChatRequest(hook=True, messages=[system?, user?])``) is
rendered here: the template of ``[system?, user=SENTINEL]`` cut before the sentinel, plus the
text of the user message (a language lead, usually empty). Engines call :func:`text_hook_prompt`
(in-process) or :func:`known_text_prefix` (SGLang); a vLLM server renders it itself with
``continue_final_message``. A template that cannot be cut is refused in one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mmrecipe.backends.base import ChatRequest
from mmrecipe.backends.hooking import SENTINEL, render_template
from mmrecipe.backends.inputs import RequestError
from mmrecipe.errors import BackendError


@dataclass(frozen=True)
class TextFamily:
    """How a text family's template renders a system turn and opens a user turn."""

    family: str
    pattern: str
    #: ``{system}`` filled in; used when a system prompt is given
    with_system: str
    #: the prefix with no system prompt given (the template's default, when it has one)
    default: str


_CHATML_SYSTEM = "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n"
_LLAMA3_SYSTEM = (
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\n"
)

#: for servers that take a raw prompt (SGLang ``/generate``); more specific patterns first.
#: Llama-3 is the Oasis paper's own example of Magpie's pre-query template (appendix A.1).
TEXT_FAMILIES: tuple[TextFamily, ...] = (
    TextFamily(
        "Qwen2.5",
        r"qwen2\.5-(?!vl)",
        _CHATML_SYSTEM,
        _CHATML_SYSTEM.format(
            system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
        ),
    ),
    TextFamily(
        "Qwen2",
        r"qwen2-(?!vl)",
        _CHATML_SYSTEM,
        _CHATML_SYSTEM.format(system="You are a helpful assistant."),
    ),
    TextFamily(
        "Llama-3",
        r"llama-3",
        _LLAMA3_SYSTEM,
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n",
    ),
)


def _messages(system: str | None) -> list[dict[str, Any]]:
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": SENTINEL}]


def derive_text_hook_prefix(source: Any, system: str | None = None, model_id: str = "") -> str:
    """The pre-query prefix of a text chat template: everything before the user's text.

    ``source`` is a template string or a tokenizer/processor with ``apply_chat_template``.
    Raises BackendError when the template cannot be hooked: it does not render the user's text
    once and verbatim, renders nothing before it, or drops the system prompt it was given.
    """
    who = f" of {model_id}" if model_id else ""
    try:
        if isinstance(source, str):
            text = render_template(
                source, _messages(system), add_generation_prompt=False, bos_token="", eos_token=""
            )
        elif hasattr(source, "apply_chat_template"):
            text = source.apply_chat_template(
                _messages(system), tokenize=False, add_generation_prompt=False
            )
            text = text[0] if isinstance(text, list) else str(text)
        else:
            raise BackendError(f"cannot derive a text hook prefix from {type(source).__name__}")
    except BackendError:
        raise
    except Exception as exc:
        raise BackendError(
            f"the chat template{who} cannot render a text user turn"
            f"{' after a system prompt' if system else ''} ({type(exc).__name__}: {exc})"
        ) from exc
    if text.count(SENTINEL) != 1:
        raise BackendError(
            f"the chat template{who} does not render the user's text once and verbatim; its "
            "pre-query part cannot be cut out, so this family cannot be hooked"
        )
    prefix = text.partition(SENTINEL)[0]
    if not prefix.strip():
        raise BackendError(
            f"the chat template{who} renders nothing before the user's text (no user header), "
            "so there is no pre-query template to hook with"
        )
    if system and system not in prefix:
        raise BackendError(
            f"the chat template{who} drops or rewrites the system prompt, so a per-language "
            "system prompt would not reach the model; give no system prompt for this family"
        )
    return prefix


def split_text_hook(request: ChatRequest) -> tuple[str | None, str]:
    """The (system prompt, user lead) of a text-only hook request."""
    system: str | None = None
    lead = ""
    for message in request.messages:
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        if message.get("role") == "system":
            system = text
        elif message.get("role") == "user":
            lead = text
        else:
            raise RequestError("a text hook request holds only a system and a user message")
    return system, lead


def text_hook_lead(request: ChatRequest) -> str:
    """The user lead of a hook request (``""`` for an image hook, whose messages hold none)."""
    users = [m for m in request.messages if m.get("role") == "user"]
    content = users[-1].get("content") if users else ""
    return content if isinstance(content, str) else ""


def text_hook_prompt(
    source: Any, request: ChatRequest, cache: dict[str | None, str], model_id: str = ""
) -> str:
    """The raw prompt of a text-only hook request, prefixes cached per system prompt."""
    system, lead = split_text_hook(request)
    if system not in cache:
        cache[system] = derive_text_hook_prefix(source, system, model_id)
    return cache[system] + lead


def known_text_prefix(model_id: str, request: ChatRequest, given: str | None = None) -> str:
    """The raw prompt of a text-only hook request from the family table (SGLang).

    ``given`` is a backend's explicit ``text_hook_prefix`` (used when no system prompt is set).
    """
    system, lead = split_text_hook(request)
    name = model_id.lower()
    family = next((f for f in TEXT_FAMILIES if re.search(f.pattern, name)), None)
    if system is None and given is not None:
        return given + lead
    if family is None:
        raise BackendError(
            f"text hooking on SGLang needs the model's pre-query template and {model_id!r} is not "
            f"a known text family ({', '.join(f.family for f in TEXT_FAMILIES)}); serve it with "
            "vLLM (server: vllm renders the template itself) or set text_hook_prefix"
        )
    prefix = family.with_system.format(system=system) if system else family.default
    return prefix + lead


def text_hook_capability(source: Any, model_id: str = "") -> tuple[str, ...]:
    """``("text_hook",)`` when the template can be cut for a text-only hook, else ``()``."""
    try:
        derive_text_hook_prefix(source, None, model_id)
    except BackendError:
        return ()
    return ("text_hook",)
