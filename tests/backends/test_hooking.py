"""Hook prefixes derived from real chat templates, checked against the known-family table."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmrecipe.backends.hooking import (
    SENTINEL,
    check_against_known,
    derive_hook_prefix,
    known_family,
)
from mmrecipe.errors import BackendError

# Qwen2-VL-7B-Instruct's chat template, verbatim
QWEN2_VL_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
    "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}"
    "Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# llava-hf/llava-1.5-7b-hf's chat template, verbatim (note the {% generation %} tag)
LLAVA_15_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}"
    "{{ message['role'].upper() + ': '}}{% endif %}{# Render all images first #}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}"
    "{{ '<image>\n' }}{% endfor %}{# Render all text next #}"
    "{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ content['text'] + ' '}}{% endfor %}{% else %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

# a ChatML template that renders text first and images after it: cannot be hooked
TEXT_FIRST_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% for c in message['content'] if c['type'] == 'text' %}{{ c['text'] }}{% endfor %}"
    "{% for c in message['content'] if c['type'] == 'image' %}<image>{% endfor %}"
    "<|im_end|>\n{% endfor %}"
)

# a text-only template that drops image parts
TEXT_ONLY_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for c in message['content'] if c['type'] == 'text' %}{{ c['text'] }}{% endfor %}"
    "{% endif %}<|im_end|>\n{% endfor %}"
)


def test_qwen2_vl_prefix_includes_default_system_prompt() -> None:
    prefix = derive_hook_prefix(QWEN2_VL_TEMPLATE, "Qwen/Qwen2.5-VL-7B-Instruct")
    assert prefix == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
    )
    check = check_against_known("Qwen/Qwen2.5-VL-7B-Instruct", prefix)
    assert check is not None and check.ok and check.family == "Qwen2-VL / Qwen2.5-VL"


def test_llava_15_prefix_renders_generation_tags() -> None:
    prefix = derive_hook_prefix(LLAVA_15_TEMPLATE, "llava-hf/llava-1.5-7b-hf")
    assert prefix == "USER: <image>\n"
    check = check_against_known("llava-hf/llava-1.5-7b-hf", prefix)
    assert check is not None and check.ok


def test_mismatch_with_known_family_is_reported() -> None:
    llava_prefix = derive_hook_prefix(LLAVA_15_TEMPLATE)
    check = check_against_known("Qwen/Qwen2-VL-2B-Instruct", llava_prefix)
    assert check is not None and not check.ok
    assert "Qwen2-VL" in check.describe(llava_prefix)
    assert check_against_known("some-org/unknown-vlm", llava_prefix) is None


@pytest.mark.parametrize(
    ("model_id", "family"),
    [
        ("Qwen/Qwen3-VL-8B-Instruct", "Qwen3-VL"),
        ("llava-hf/llava-v1.6-mistral-7b-hf", "llava-v1.6-mistral"),
        ("lmms-lab/llama3-llava-next-8b", "LLaMA3-LLaVA-NeXT"),
        ("llava-hf/llava-v1.6-vicuna-7b-hf", "LLaVA-1.5 / LLaVA-NeXT-vicuna"),
        ("OpenGVLab/InternVL3-8B", "InternVL2.5 / InternVL3"),
        ("HuggingFaceTB/SmolVLM-Instruct", "SmolVLM"),
        ("/models/Idefics3-8B-Llama3", "Idefics3"),
    ],
)
def test_known_family_lookup(model_id: str, family: str) -> None:
    fam = known_family(model_id)
    assert fam is not None and fam.family == family


def test_image_after_text_is_refused() -> None:
    with pytest.raises(BackendError, match="image after the user's text"):
        derive_hook_prefix(TEXT_FIRST_TEMPLATE, "acme/text-first")


def test_template_ignoring_images_is_refused() -> None:
    with pytest.raises(BackendError, match="ignores image parts"):
        derive_hook_prefix(TEXT_ONLY_TEMPLATE, "acme/text-only")


def test_template_that_rewrites_text_is_refused() -> None:
    upper = "{% for m in messages %}{% for c in m['content'] %}{{ c.get('text', '<image>') | lower }}{% endfor %}{% endfor %}"
    with pytest.raises(BackendError, match="verbatim"):
        derive_hook_prefix(upper)


def test_template_that_raises_is_refused_clearly() -> None:
    strict = "{{ raise_exception('only text is supported') }}"
    with pytest.raises(BackendError, match="only text is supported"):
        derive_hook_prefix(strict, "acme/strict")


def test_tiny_llava_prefix_matches_llava_family(tiny_llava_dir: Path) -> None:
    from transformers import AutoProcessor

    from mmrecipe.testing.tiny_models import DEFAULT_SYSTEM, TINY_LLAVA_CHAT_TEMPLATE

    processor = AutoProcessor.from_pretrained(tiny_llava_dir)
    from_processor = derive_hook_prefix(processor)
    assert from_processor == derive_hook_prefix(TINY_LLAVA_CHAT_TEMPLATE)
    assert from_processor == f"{DEFAULT_SYSTEM} USER: <image>\n"
    assert SENTINEL not in from_processor
    # the same template style as LLaVA-1.5 (vicuna): the known family accepts it
    check = check_against_known("llava-hf/llava-1.5-7b-hf", from_processor)
    assert check is not None and check.ok


def test_user_turn_ends_at_the_first_end_of_turn() -> None:
    from mmrecipe.backends.hooking import user_turn

    assert user_turn("What is this?<|im_end|>\n<|im_start|>assistant\nA cat.") == "What is this?"
    assert user_turn("Count the cups. <|eot_id|>There are 3.") == "Count the cups. "
    assert user_turn("No marker here.") == "No marker here."
    assert user_turn("<|im_end|>") == ""
