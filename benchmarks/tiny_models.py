"""How fast the tiny random LLaVA builds and generates on this machine (tests rely on it being
cheap; timing belongs here, not in a test's assertion).

Builds the model, loads it with the Auto classes, then times ``generate`` of 16 new tokens for
one image, repeated; prints the median and the slowest.

    python benchmarks/tiny_models.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from mmrecipe.testing.tiny_models import build_tiny_llava


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--new-tokens", type=int, default=16)
    args = parser.parse_args()
    from transformers import AutoModelForImageTextToText, AutoProcessor

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        folder = build_tiny_llava(Path(tmp) / "tiny")
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        processor = AutoProcessor.from_pretrained(folder)
        model = AutoModelForImageTextToText.from_pretrained(folder)
        load_s = time.perf_counter() - t0
        messages = [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe."}]}
        ]
        prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
        inputs = processor(
            images=[Image.new("RGB", (50, 30), "red")], text=[prompt], return_tensors="pt"
        )
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            model.generate(
                **inputs,
                max_new_tokens=args.new_tokens,
                min_new_tokens=args.new_tokens,
                do_sample=True,
            )
            times.append(time.perf_counter() - t0)
    print(f"{'measure':<28} {'seconds':>8}")
    print(f"{'build + save':<28} {build_s:>8.3f}")
    print(f"{'load (Auto classes)':<28} {load_s:>8.3f}")
    print(f"{'generate, median':<28} {statistics.median(times):>8.3f}")
    print(f"{'generate, slowest':<28} {max(times):>8.3f}")
    print(f"({args.repeats} repeats, {args.new_tokens} new tokens, one image, CPU)")


if __name__ == "__main__":
    main()
