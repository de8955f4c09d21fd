"""The tiny random LLaVA loads with the Auto classes and generates, offline (its speed is
measured in ``benchmarks/tiny_models.py``, not asserted here)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from PIL import Image


def test_tiny_llava_loads_and_generates(tiny_llava_dir: Path) -> None:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    size = sum(p.stat().st_size for p in tiny_llava_dir.iterdir())
    assert size < 3_000_000
    processor = AutoProcessor.from_pretrained(tiny_llava_dir)
    model = AutoModelForImageTextToText.from_pretrained(tiny_llava_dir)
    messages = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe."}]}
    ]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    assert "A chat between a curious human" in prompt  # default system prompt rendered
    assert prompt.endswith("USER: <image>\nDescribe. ASSISTANT:")
    inputs = processor(
        images=[Image.new("RGB", (50, 30), "red")], text=[prompt], return_tensors="pt"
    )
    image_id = processor.tokenizer.convert_tokens_to_ids("<image>")
    assert int((inputs["input_ids"] == image_id).sum()) == 4  # (28/14)^2 patches
    out = model.generate(**inputs, max_new_tokens=16, min_new_tokens=16, do_sample=True)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 16


def test_tiny_llava_is_deterministic_per_seed(tmp_path: Path) -> None:
    from mmrecipe.testing.tiny_models import build_tiny_llava

    a = build_tiny_llava(tmp_path / "a", seed=1)
    b = build_tiny_llava(tmp_path / "b", seed=1)
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()


def test_transformers_serve_answers_image_chat(
    tiny_llava_server: str, tiny_llava_dir: Path
) -> None:
    import base64
    import io

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buf, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    body = {
        "model": str(tiny_llava_dir),
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": url}},
                    {"type": "text", "text": "What is this?"},
                ],
            }
        ],
        "max_tokens": 8,
    }
    request = urllib.request.Request(
        f"{tiny_llava_server}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        answer = json.loads(resp.read())
    assert answer["usage"]["completion_tokens"] > 0
    assert answer["usage"]["prompt_tokens"] > 4  # the image expanded to its patch tokens
    assert isinstance(answer["choices"][0]["message"]["content"], str)
