"""ThinkMorph's chart refocus: a bar chart -> the relevant bars highlighted -> the value.

The assistant first produces the chart with the bars the question needs boxed in red and the rest
dimmed, then computes from their labelled values. ``difficulty`` picks the computation: one value,
a difference, a sum, a mean, a range over a group. The verifier recomputes from the stored data.
"""

from __future__ import annotations

import random
import re
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.drawing import font

W, H = 560, 400
CATEGORIES = [
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"],
    ["Oslo", "Lima", "Cairo", "Delhi", "Seoul", "Quito", "Perth", "Dakar", "Riga", "Hanoi"],
    ["Alpha", "Beta", "Gamma", "Delta", "Omega", "Sigma", "Kappa", "Theta", "Zeta", "Iota"],
    ["2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023", "2024", "2025"],
]
TITLES = ["Monthly sales (units)", "Visitors (thousands)", "Score by team", "Revenue (M$)"]
OPS = {1: "value", 2: "difference", 3: "sum", 4: "mean", 5: "range"}


def compute(op: str, values: list[float]) -> float:
    if op == "value":
        return values[0]
    if op == "difference":
        return values[0] - values[1]
    if op == "sum":
        return sum(values)
    if op == "mean":
        return sum(values) / len(values)
    if op == "range":
        return max(values) - min(values)
    raise ValueError(f"unknown chart operation {op!r}")


def fmt(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(round(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _render(
    cats: list[str], values: list[int], title: str, colour: tuple[int, int, int], focus: list[int]
) -> tuple[Image.Image, Image.Image]:
    """The plain chart and the refocused one (focus bars boxed in red, others dimmed)."""
    im = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    left, right, top, bottom = 50, W - 20, 50, H - 50
    top_value = (max(values) // 20 + 1) * 20
    draw.text((W / 2, 22), title, font=font(18), fill=(0, 0, 0), anchor="mm")
    for v in range(0, top_value + 1, 20):
        y = bottom - (bottom - top) * v / top_value
        draw.line([(left, y), (right, y)], fill=(225, 225, 225))
        draw.text((left - 6, y), str(v), font=font(12), fill=(60, 60, 60), anchor="rm")
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=(0, 0, 0), width=2)
    slot = (right - left) / len(values)
    boxes = []
    for i, (cat, v) in enumerate(zip(cats, values, strict=True)):
        x0, x1 = left + slot * (i + 0.18), left + slot * (i + 0.82)
        y = bottom - (bottom - top) * v / top_value
        draw.rectangle([x0, y, x1, bottom], fill=colour)
        draw.text(((x0 + x1) / 2, y - 4), str(v), font=font(13), fill=(0, 0, 0), anchor="mb")
        draw.text(((x0 + x1) / 2, bottom + 6), cat, font=font(12), fill=(0, 0, 0), anchor="mt")
        boxes.append((x0 - 3, y - 22, x1 + 3, bottom + 22))
    refocused = Image.blend(im, Image.new("RGB", (W, H), (255, 255, 255)), 0.6)
    for i in focus:
        refocused.paste(
            im.crop(tuple(int(b) for b in boxes[i])), (int(boxes[i][0]), int(boxes[i][1]))
        )
    rdraw = ImageDraw.Draw(refocused)
    for i in focus:
        rdraw.rectangle(boxes[i], outline=(230, 0, 0), width=3)
    return im, refocused


@register_generator("chart_refocus")
class ChartRefocusGenerator(Generator):
    """Chart question answering with a produced image (the relevant bars highlighted)."""

    levels = 5
    #: its samples are interleaved traces: their reply has no answer style
    interleaved = True

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        op = OPS[max(1, min(difficulty, 5))]
        n = rng.randint(5, 10)
        family = rng.randrange(len(CATEGORIES))
        start = rng.randint(0, 10 - n)
        cats = CATEGORIES[family][start : start + n]
        values = [rng.randint(3, 98) for _ in range(n)]
        k = {"value": 1, "difference": 2, "sum": 3, "mean": rng.randint(3, 4), "range": 4}[op]
        focus = rng.sample(range(n), k)
        if op == "difference" and values[focus[0]] < values[focus[1]]:
            focus.reverse()
        picked = [values[i] for i in focus]
        result = compute(op, [float(v) for v in picked])
        names = [cats[i] for i in focus]
        listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        second = names[1] if len(names) > 1 else names[0]
        question = {
            "value": f"What is the value of {names[0]}?",
            "difference": f"How much larger is {names[0]} than {second}?",
            "sum": f"What is the total of {listed}?",
            "mean": f"What is the average of {listed}? Round to two decimal places.",
            "range": f"Among {listed}, what is the difference between the largest and the "
            "smallest value?",
        }[op]
        colour = rng.choice([(70, 120, 190), (220, 130, 50), (90, 160, 90), (150, 100, 170)])
        chart, refocused = _render(cats, values, TITLES[family], colour, focus)
        readings = ", ".join(f"{c} = {v}" for c, v in zip(names, picked, strict=True))
        work = {
            "value": f"{names[0]} = {picked[0]}",
            "difference": f"{picked[0]} − {picked[-1]} = {fmt(result)}",
            "sum": f"{' + '.join(map(str, picked))} = {fmt(result)}",
            "mean": f"({' + '.join(map(str, picked))}) / {k} = {fmt(result)}",
            "range": f"{max(picked)} − {min(picked)} = {fmt(result)}",
        }[op]
        # "Round to two decimal places" (the mean) is answered with exactly two decimals
        answer = f"{result:.2f}" if op == "mean" else fmt(result)
        reply = (
            f"The question needs only {listed}; I highlight those bars and dim the rest:\n"
            f"<image>\nReading the highlighted labels: {readings}. So {work}.\n{answer}"
        )
        return SynthItem(
            images=[chart, refocused],
            task="interleaved/chart_refocus",
            answer=answer,
            messages=[
                {"role": "user", "content": f"<image>\n{question}"},
                {"role": "assistant", "content": reply},
            ],
            ground_truth={"categories": cats, "values": values, "op": op, "focus": names},
            extra={"question": question},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        cats, values = ground_truth["categories"], ground_truth["values"]
        unknown = [c for c in ground_truth["focus"] if c not in cats]
        if unknown:
            return f"focus names categories not in the chart: {unknown}"
        picked = [float(values[cats.index(c)]) for c in ground_truth["focus"]]
        expected = compute(ground_truth["op"], picked)
        numbers = re.findall(r"-?\d+(?:\.\d+)?", answer.replace(",", ""))
        if not numbers:
            return f"no number in answer {answer!r}"
        got = float(numbers[-1])
        if abs(got - expected) > 0.0051:
            return f"answer {got} but the chart gives {fmt(expected)}"
        return None
