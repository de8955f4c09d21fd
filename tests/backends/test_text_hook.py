"""Text-only hook prefixes (Magpie): cut from a chat template, refused where it cannot be cut."""

from __future__ import annotations

import pytest

from mmrecipe.backends.base import ChatRequest
from mmrecipe.backends.text_hook import (
    derive_text_hook_prefix,
    known_text_prefix,
    text_hook_capability,
    text_hook_prompt,
)
from mmrecipe.errors import BackendError

CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + "
    "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\\n"
    "{% endif %}"
)
LLAMA3 = (
    "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
    "'<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}{% endfor %}"
)
#: Gemma-like: refuses a system turn
NO_SYSTEM = (
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}"
)


def test_chatml_and_llama3_prefixes_end_at_the_user_header() -> None:
    assert derive_text_hook_prefix(CHATML) == "<|im_start|>user\n"
    assert derive_text_hook_prefix(CHATML, "Answer in French.") == (
        "<|im_start|>system\nAnswer in French.<|im_end|>\n<|im_start|>user\n"
    )
    assert derive_text_hook_prefix(LLAMA3).endswith("<|start_header_id|>user<|end_header_id|>\n\n")


def test_templates_that_cannot_be_hooked_are_refused() -> None:
    with pytest.raises(BackendError, match="once and verbatim"):
        derive_text_hook_prefix(
            "{% for m in messages %}USER: {{ m['content'] | lower }}{% endfor %}"
        )
    with pytest.raises(BackendError, match="nothing before"):
        derive_text_hook_prefix("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    with pytest.raises(BackendError, match="System role not supported"):
        derive_text_hook_prefix(NO_SYSTEM, "Answer in German.")
    assert derive_text_hook_prefix(NO_SYSTEM) == "<start_of_turn>user\n"
    assert text_hook_capability("{% for m in messages %}{{ m['content'] }}{% endfor %}") == ()
    assert text_hook_capability(CHATML) == ("text_hook",)


def test_prompt_adds_the_lead_and_caches_per_system() -> None:
    cache: dict[str | None, str] = {}
    request = ChatRequest(
        messages=[{"role": "system", "content": "S"}, {"role": "user", "content": "Hola, "}],
        hook=True,
    )
    assert text_hook_prompt(CHATML, request, cache) == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHola, "
    )
    assert list(cache) == ["S"]


def test_sglang_known_families_and_unknown_refused() -> None:
    bare = ChatRequest(hook=True)
    assert known_text_prefix("Qwen/Qwen2.5-7B-Instruct", bare).startswith(
        "<|im_start|>system\nYou are Qwen"
    )
    assert known_text_prefix("meta-llama/Meta-Llama-3-8B-Instruct", bare) == (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
    )
    sys_req = ChatRequest(messages=[{"role": "system", "content": "X"}], hook=True)
    assert "system<|end_header_id|>\n\nX<|eot_id|>" in known_text_prefix("llama-3-70b", sys_req)
    with pytest.raises(BackendError, match="not a known text family"):
        known_text_prefix("mistral-7b", bare)
    assert known_text_prefix("mistral-7b", bare, given="[INST] ") == "[INST] "


def test_transformers_hooks_text_only_with_its_own_template(tiny_llava_dir) -> None:
    """In process: the tiny LLaVA's template cut before the user's text, system prompt kept."""
    import asyncio

    from mmrecipe.backends import build_backend
    from mmrecipe.backends.base import SamplingParams

    backend = build_backend(
        "llm", {"type": "transformers", "model": str(tiny_llava_dir), "device": "cpu"}
    )
    assert "text_hook" in backend.capabilities
    request = ChatRequest(messages=[{"role": "system", "content": "Answer in French."}], hook=True)
    prep = backend._prepare(0, request)
    assert prep.error is None and prep.prompt == "Answer in French. USER: "
    gens = asyncio.run(backend.generate([request], SamplingParams(max_tokens=4, seed=0)))
    assert gens[0].error is None and gens[0].texts
