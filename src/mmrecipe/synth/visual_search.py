"""ThinkMorph's visual search: find the one object -> the image with it boxed -> its box.

Shapes are drawn onto a photo crop (scikit-image's bundled photos) or a procedural scene; exactly
one has the asked colour *and* shape, distractors share one of the two (more of them at higher
``difficulty``). As in ThinkMorph's filter, the target covers 1-30 % of the image. The assistant
produces the image with a red box around the target and answers with the box in pixels; the
verifier checks the box's IoU with the stored one.
"""

from __future__ import annotations

import math
import random
import re
from typing import Any

from PIL import ImageDraw

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.drawing import background

SIZE = 448
MIN_IOU = 0.75
COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 170, 60),
    "blue": (30, 80, 220),
    "yellow": (240, 210, 20),
    "purple": (140, 50, 180),
    "orange": (245, 130, 20),
    "white": (250, 250, 250),
    "black": (15, 15, 15),
}
SHAPES = ("circle", "square", "triangle", "star", "diamond")
Box = tuple[int, int, int, int]


def _polygon(shape: str, box: Box) -> list[tuple[float, float]] | None:
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
    if shape == "triangle":
        return [(cx, y0), (x1, y1), (x0, y1)]
    if shape == "diamond":
        return [(cx, y0), (x1, cy), (cx, y1), (x0, cy)]
    if shape == "star":
        pts = []
        for i in range(10):
            t = -math.pi / 2 + i * math.pi / 5
            rr = r if i % 2 == 0 else r * 0.45
            pts.append((cx + rr * math.cos(t), cy + rr * math.sin(t)))
        return pts
    return None


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, colour: str, box: Box) -> Box:
    """Draw and return the tight pixel box of what was drawn."""
    fill, outline = COLOURS[colour], (0, 0, 0) if colour != "black" else (255, 255, 255)
    poly = _polygon(shape, box)
    if shape == "circle":
        draw.ellipse(box, fill=fill, outline=outline, width=2)
    elif shape == "square":
        draw.rectangle(box, fill=fill, outline=outline, width=2)
    else:
        assert poly is not None
        draw.polygon(poly, fill=fill, outline=outline, width=2)
        xs, ys = [p[0] for p in poly], [p[1] for p in poly]
        return (math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys)))
    return box


def iou(a: Box | list[float], b: Box | list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _place(rng: random.Random, side: int, taken: list[Box]) -> Box | None:
    for _ in range(60):
        x, y = rng.randint(4, SIZE - side - 4), rng.randint(4, SIZE - side - 4)
        box = (x, y, x + side, y + side)
        if all(iou(box, t) == 0 for t in taken):
            return box
    return None


@register_generator("visual_search")
class VisualSearchGenerator(Generator):
    """Visual search with a produced image (the target boxed in red)."""

    levels = 5
    #: its samples are interleaved traces: their reply has no answer style
    interleaved = True

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        d = max(1, min(difficulty, 5))
        image, source = background(rng, (SIZE, SIZE))
        colour, shape = rng.choice(sorted(COLOURS)), rng.choice(SHAPES)
        side = rng.randint(48, 150)  # 1.1 % .. 11 % of the image
        target = _place(rng, side, [])
        assert target is not None
        taken = [target]
        distractors: list[tuple[str, str, Box]] = []
        for _ in range(3 + 3 * d):
            if rng.random() < 0.5:
                c, s = colour, rng.choice([x for x in SHAPES if x != shape])
            else:
                c, s = rng.choice([x for x in sorted(COLOURS) if x != colour]), shape
            box = _place(rng, rng.randint(max(28, 60 - 8 * d), 110), taken)
            if box is None:
                continue
            taken.append(box)
            distractors.append((c, s, box))
        draw = ImageDraw.Draw(image)
        for c, s, box in distractors:
            _draw_shape(draw, s, c, box)
        tight = _draw_shape(draw, shape, colour, target)
        boxed = image.copy()
        bdraw = ImageDraw.Draw(boxed)
        bdraw.rectangle(
            [tight[0] - 4, tight[1] - 4, tight[2] + 4, tight[3] + 4], outline=(255, 0, 0), width=4
        )
        answer = f"[{tight[0]}, {tight[1]}, {tight[2]}, {tight[3]}]"
        question = (
            f"Find the {colour} {shape} in this {SIZE}x{SIZE} image. Give its bounding box as "
            "[x1, y1, x2, y2] in pixels (origin at the top left)."
        )
        others = len(distractors)
        reply = (
            f"There are {others + 1} shapes; several share the colour {colour} or the "
            f"shape {shape}, so I check both properties for each and mark the match:\n<image>\n"
            f"Only the boxed shape is a {colour} {shape}. Its bounding box is:\n{answer}"
        )
        return SynthItem(
            images=[image, boxed],
            task="interleaved/visual_search",
            answer=answer,
            messages=[
                {"role": "user", "content": f"<image>\n{question}"},
                {"role": "assistant", "content": reply},
            ],
            ground_truth={
                "target": {"colour": colour, "shape": shape, "box": list(tight)},
                "distractors": [[c, s, list(b)] for c, s, b in distractors],
                "size": [SIZE, SIZE],
            },
            extra={"source_image": source, "question": question},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        target = ground_truth["target"]
        if "category" in target:  # a real photo's annotated object (visual_search_traces)
            return verify_photo_target(ground_truth, answer)
        same = [
            x for x in ground_truth["distractors"] if x[:2] == [target["colour"], target["shape"]]
        ]
        if same:
            return "the stored scene has more than one matching shape"
        area = (target["box"][2] - target["box"][0]) * (target["box"][3] - target["box"][1])
        share = area / (ground_truth["size"][0] * ground_truth["size"][1])
        if not 0.01 <= share <= 0.30:
            return f"target covers {share:.1%} of the image, outside 1-30 %"
        numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", answer)]
        if len(numbers) != 4:
            return f"expected a box of 4 numbers, got {answer!r}"
        score = iou(numbers, target["box"])
        if score < MIN_IOU:
            return f"box IoU {score:.2f} with the target is below {MIN_IOU}"
        return None


def verify_photo_target(ground_truth: dict[str, Any], answer: str) -> str | None:
    """Re-check a real-photo trace against its annotated target: the target's category occurs
    once, its box covers the stored area range (ThinkMorph: 1-30 %), the answer box matches."""
    target, (width, height) = ground_truth["target"], ground_truth["size"]
    box = target["box"]
    share = (box[2] - box[0]) * (box[3] - box[1]) / (width * height)
    low, high = ground_truth["area_range"]
    if not low <= share <= high:
        return f"target covers {share:.1%} of the image, outside {low:.0%}-{high:.0%}"
    if target["category"] in ground_truth["others"]:
        return f"the image has more than one {target['category']}"
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", answer)]
    if len(numbers) != 4:
        return f"expected a box of 4 numbers, got {answer!r}"
    score = iou(numbers, box)
    return None if score >= MIN_IOU else f"box IoU {score:.2f} with the target is below {MIN_IOU}"
