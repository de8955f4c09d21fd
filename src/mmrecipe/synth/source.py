"""Turning a generator into samples: deterministic ids, image files and ground truth."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from PIL import Image

from mmrecipe.sample import ImageRef, Sample, stable_id
from mmrecipe.synth.answer_style import DEFAULT_ANSWER_STYLE, compose_reply
from mmrecipe.synth.base import Generator, SynthItem, item_rng


def save_png(image: Image.Image, path: Path) -> ImageRef:
    """Save deterministically (no metadata, fixed compression) and atomically."""
    import hashlib

    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return ImageRef(
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        width=image.width,
        height=image.height,
        format="PNG",
        size_bytes=len(data),
    )


def item_to_sample(
    generator: Generator,
    item: SynthItem,
    index: int,
    seed: int,
    difficulty: int,
    image_dir: Path,
    answer_style: str = DEFAULT_ANSWER_STYLE,
) -> Sample:
    """A sample in the shape every writer understands, ground truth kept in ``fields``."""
    kind = generator.kind
    # the id names everything that changes the sample: generator, its options, seed, index and
    # level (the same index at another difficulty is another question, so another id), and
    # the answer style when it is not the default
    style_key = [] if answer_style == DEFAULT_ANSWER_STYLE else [f"style:{answer_style}"]
    sample_id = stable_id(
        "synth", kind, str(seed), str(index), f"d{difficulty}", generator.options_key(), *style_key
    )
    refs = [
        save_png(im, image_dir / "synth" / kind / f"{sample_id}-{k}.png")
        for k, im in enumerate(item.images)
    ]
    if item.messages is not None:
        messages = [dict(m) for m in item.messages]
    else:
        user = "\n".join(["<image>"] * len(refs) + [item.question])
        reply = compose_reply(item.rationale, item.answer, answer_style)
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
    fields: dict[str, Any] = {
        "generator": kind,
        "task": item.task,
        "answer": item.answer,
        "ground_truth": item.ground_truth,
        "difficulty": difficulty,
        "seed": seed,
        "index": index,
        "domain": f"synthetic/{kind}",
        **item.extra,
    }
    if item.rationale:
        fields["rationale"] = item.rationale
    if item.messages is None:
        fields["answer_style"] = answer_style
    return Sample(id=sample_id, images=refs, messages=messages, fields=fields)


def generate_samples(
    generator: Generator,
    start: int,
    stop: int,
    seed: int,
    difficulty: int,
    image_dir: Path,
    answer_style: str = DEFAULT_ANSWER_STYLE,
) -> list[Sample]:
    out = []
    for index in range(start, stop):
        item = generator.make(item_rng(seed, generator.kind, index), difficulty)
        out.append(
            item_to_sample(generator, item, index, seed, difficulty, image_dir, answer_style)
        )
    return out
