"""The hooking prefix: the chat template rendered for one user turn holding only an image.

Oasis gives an MLLM the image plus the template's pre-query part and lets it write the user
instruction itself. The prefix is derived from the model's own chat template: render one user
turn ``[image, text=SENTINEL]`` (default system prompt included: leaving it out gives
fragments, Magpie issue #28) and cut right before the sentinel. A known-family table checks the
result for the families people use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mmrecipe.errors import BackendError

#: a word no template rewrites (no spaces, no markup) and no real prompt contains
SENTINEL = "MMRECIPEHOOKSENTINEL7F3A"
#: strings that end a chat turn in the known families' templates
END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<|end|>", "</s>", "<end_of_utterance>", "[/INST]")
#: where a hooked user turn is over: an end of turn, or the start of the next turn
_TURN_OVER = (*END_OF_TURN, "<|im_start|>", "<|start_header_id|>", "<end_of_turn>")


@dataclass(frozen=True)
class KnownFamily:
    """A model family's hook prefix as its engine sees it (image placeholder not expanded)."""

    family: str
    #: matched (case-insensitively) against the model id or path
    pattern: str
    #: what the prefix must end with
    tail: str
    #: True when the whole prefix is known (system prompt included), not only its tail
    exact: bool = False
    #: hook sampling this family needs beyond the shared Oasis values (T=1.0, top-k 20, ...):
    #: the official code adds penalties and an <|im_start|> mask for Qwen2.5-VL only
    hook_sampling: tuple[tuple[str, Any], ...] = ()
    #: ids of special tokens, for engines that ban tokens by id only (SGLang's logit_bias)
    special_ids: tuple[tuple[str, int], ...] = ()


#: hook sampling for a family the table does not know: no penalties, nothing banned
NEUTRAL_HOOK_SAMPLING: dict[str, Any] = {
    "frequency_penalty": 0.0,
    "presence_penalty": 0.0,
    "banned_tokens": [],
}
_QWEN25_HOOK = (
    ("frequency_penalty", 1.0),
    ("presence_penalty", 1.0),
    ("banned_tokens", ["<|im_start|>"]),
)
#: ChatML families: a hooked model that opens a new turn has stopped writing the user's turn
_CHATML_MASK = (("banned_tokens", ["<|im_start|>"]),)
#: the Qwen2 tokenizer (Qwen2-VL, Qwen2.5-VL, Qwen3-VL): <|endoftext|> 151643, then these
_QWEN_SPECIAL_IDS = (("<|im_start|>", 151644), ("<|im_end|>", 151645))


#: shared/DESIGN.md "Hooking"; the more specific patterns come first
KNOWN_FAMILIES: tuple[KnownFamily, ...] = (
    KnownFamily(
        "Qwen3-VL",
        r"qwen3-vl",
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>",
        exact=True,
        hook_sampling=_CHATML_MASK,
        special_ids=_QWEN_SPECIAL_IDS,
    ),
    KnownFamily(
        "Qwen2-VL / Qwen2.5-VL",
        r"qwen2(\.5)?-vl",
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>",
        exact=True,
        hook_sampling=_QWEN25_HOOK,
        special_ids=_QWEN_SPECIAL_IDS,
    ),
    KnownFamily("llava-v1.6-mistral", r"llava-v1\.6-mistral", "[INST] <image>\n"),
    KnownFamily(
        "LLaMA3-LLaVA-NeXT",
        r"llama3-llava-next",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n<image>\n",
        exact=True,
    ),
    KnownFamily(
        "LLaVA-1.5 / LLaVA-NeXT-vicuna", r"llava-1\.5|llava-v1\.6-vicuna|vicuna", "USER: <image>\n"
    ),
    KnownFamily(
        "InternVL2.5 / InternVL3",
        r"internvl(2[._]5|3)",
        "<|im_start|>user\n<image>\n",
        hook_sampling=_CHATML_MASK,
    ),
    KnownFamily("Idefics3", r"idefics3", "<|begin_of_text|>User:<image>", exact=True),
    KnownFamily(
        "SmolVLM",
        r"smolvlm",
        "<|im_start|>User:<image>",
        exact=True,
        hook_sampling=_CHATML_MASK,
    ),
)


def hook_sampling_for(model_id: str) -> tuple[str, dict[str, Any]]:
    """The family name and the hook sampling defaults of ``model_id`` (neutral when unknown)."""
    fam = known_family(model_id)
    values = dict(NEUTRAL_HOOK_SAMPLING)
    if fam is None:
        return "unknown family", values
    values.update({k: (list(v) if isinstance(v, list) else v) for k, v in fam.hook_sampling})
    return fam.family, values


@dataclass(frozen=True)
class KnownCheck:
    """The outcome of comparing a derived prefix with the known family of a model."""

    family: str
    expected: str
    exact: bool
    ok: bool

    def describe(self, prefix: str) -> str:
        if self.ok:
            return f"hook prefix matches the known {self.family} prefix"
        return (
            f"hook prefix {prefix!r} differs from the known {self.family} prefix "
            f"({'exactly ' if self.exact else 'ending with '}{self.expected!r}); "
            "check the chat template or pass hook_prefix explicitly"
        )


def known_family(model_id: str) -> KnownFamily | None:
    """The known family a model id or path belongs to, if any."""
    name = model_id.lower()
    for fam in KNOWN_FAMILIES:
        if re.search(fam.pattern, name):
            return fam
    return None


def check_against_known(model_id: str, prefix: str) -> KnownCheck | None:
    """Compare ``prefix`` with the table entry of ``model_id``'s family (None: unknown family)."""
    fam = known_family(model_id)
    if fam is None:
        return None
    ok = prefix == fam.tail if fam.exact else prefix.endswith(fam.tail)
    return KnownCheck(family=fam.family, expected=fam.tail, exact=fam.exact, ok=ok)


def _hook_messages(with_image: bool) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"type": "image"}] if with_image else []
    parts.append({"type": "text", "text": SENTINEL})
    return [{"role": "user", "content": parts}]


def render_template(template: str, messages: list[dict[str, Any]], **kwargs: Any) -> str:
    """Render a chat template string the way transformers does (sandboxed jinja2)."""
    try:
        import jinja2
        from jinja2.ext import Extension
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError as exc:  # pragma: no cover - jinja2 comes with transformers and vllm
        raise BackendError("rendering a chat template needs jinja2: pip install jinja2") from exc

    class _Generation(Extension):
        """``{% generation %}`` (assistant-mask markers) renders its body unchanged."""

        tags = {"generation"}  # noqa: RUF012 - jinja2's API

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(
                lineno
            )

        def _body(self, caller: Any) -> str:
            return caller()

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_Generation, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = lambda x, indent=None, **kw: __import__("json").dumps(
        x, indent=indent, ensure_ascii=False
    )
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template).render(messages=messages, **kwargs)


def _render(source: Any, messages: list[dict[str, Any]], template_kwargs: dict[str, Any]) -> str:
    if isinstance(source, str):
        return render_template(source, messages, add_generation_prompt=False, **template_kwargs)
    if hasattr(source, "apply_chat_template"):
        text = source.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=False, **template_kwargs
        )
        if isinstance(text, list):  # some processors return one string per conversation
            text = text[0]
        return str(text)
    raise BackendError(
        f"cannot derive a hook prefix from {type(source).__name__}: give a chat template string, "
        "a processor or a tokenizer"
    )


def derive_hook_prefix(source: Any, model_id: str = "", **template_kwargs: Any) -> str:
    """The hooking prefix of a chat template: everything before the user's text, image included.

    ``source`` is a chat template string, or a processor/tokenizer with ``apply_chat_template``.
    ``template_kwargs`` go to the template (e.g. ``bos_token="<s>"`` for a template string).
    Raises BackendError when the template cannot be cut: the text is not rendered verbatim,
    the image is not rendered, or the image comes after the text.
    """
    who = f" of {model_id}" if model_id else ""
    if isinstance(source, str):
        for special in ("bos_token", "eos_token"):
            template_kwargs.setdefault(special, "")
    try:
        with_image = _render(source, _hook_messages(True), template_kwargs)
        text_only = _render(source, _hook_messages(False), template_kwargs)
    except BackendError:
        raise
    except Exception as exc:
        raise BackendError(
            f"the chat template{who} cannot render an image + text user turn "
            f"({type(exc).__name__}: {exc}); pass hook_prefix explicitly"
        ) from exc
    if with_image.count(SENTINEL) != 1 or text_only.count(SENTINEL) != 1:
        raise BackendError(
            f"the chat template{who} does not render the user's text once and verbatim, so the "
            "pre-query part cannot be cut out; pass hook_prefix explicitly"
        )
    prefix, _, after = with_image.partition(SENTINEL)
    bare_prefix, _, bare_after = text_only.partition(SENTINEL)
    if prefix == bare_prefix and after == bare_after:
        raise BackendError(
            f"the chat template{who} ignores image parts (it renders no image placeholder); "
            "pass hook_prefix explicitly with the model's image token"
        )
    if prefix == bare_prefix:
        raise BackendError(
            f"the chat template{who} puts the image after the user's text, so no prefix ends "
            "with the image; this model cannot be hooked with its template (pass hook_prefix "
            "explicitly if you know a working one)"
        )
    return prefix


def strip_bos(prefix: str, bos_token: str | None) -> tuple[str, bool]:
    """Drop a leading BOS the tokenizer would add again; returns (text, whether it had one)."""
    if bos_token and prefix.startswith(bos_token):
        return prefix[len(bos_token) :], True
    return prefix, False


def user_turn(hooked_text: str) -> str:
    """The hooked text up to the first end-of-turn marker.

    An engine that does not stop at the end of the user turn (special tokens not treated as
    EOS, or printed as text) goes on to answer its own instruction; that answer is not part
    of the instruction, so it is cut here, before the categorizer sees the text.
    """
    cut = min((i for m in _TURN_OVER if (i := hooked_text.find(m)) >= 0), default=None)
    return hooked_text if cut is None else hooked_text[:cut]


def banned_token_bias(model_id: str, tokens: tuple[str, ...]) -> dict[str, float]:
    """SGLang's ``logit_bias`` (token id -> -100, a ban) for banned token strings.

    SGLang's ``/generate`` bans tokens by id only (``sampling_params.logit_bias``); the ids come
    from the family table. A token with no known id raises BackendError (the request fails with
    that line and its sample is rejected) rather than sample without the mask it was asked for.
    """
    from mmrecipe.errors import BackendError

    fam = known_family(model_id)
    ids = dict(fam.special_ids) if fam else {}
    missing = [t for t in tokens if t not in ids]
    if missing:
        raise BackendError(
            f"SGLang bans tokens by id and the id of {', '.join(map(repr, missing))} is not known "
            f"for {model_id!r} (the family table knows Qwen's): set banned_tokens: [] on the "
            "hooking step, or serve the model with vLLM (server: vllm bans by string)"
        )
    return {str(ids[t]): -100.0 for t in tokens}
