"""Diagram captions as their own samples (MAVIS-Caption style: diagram -> caption pairs).

MAVIS-Caption is "558K diagram-caption pairs for vision-language alignment" (the seed list),
used to train MAVIS's math vision encoder and align it with the LLM. Here any
generator that can describe its image from its ground truth (``Generator.caption``) lends its
diagrams: the sample asks for a description and the answer is the caption, which ``verify``
rebuilds from the stored ground truth and compares word for word.
"""

from __future__ import annotations

import random
from typing import Any

from mmrecipe.synth.base import (
    Generator,
    SynthItem,
    check_choices,
    get_generator,
    register_generator,
)
from mmrecipe.synth.phrasing import compose

SOURCES = ("function_plot", "analytic_geometry", "solid_geometry", "stats_chart", "geometry")
_ASK = (
    ("", "Look at the image.", "Here is a math diagram."),
    (
        "Describe the diagram.",
        "Write a precise caption for this figure.",
        "What does this diagram show? Describe it exactly.",
        "Give a caption that states every labelled quantity in the figure.",
    ),
)


@register_generator("diagram_caption")
class DiagramCaptionGenerator(Generator):
    """A diagram from one of ``sources`` with its caption as the answer."""

    def __init__(self, sources: list[str] | None = None) -> None:
        self.sources = check_choices("caption source", sources, SOURCES)

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        kind = rng.choice(self.sources)
        source = get_generator(kind)()
        item = source.make(rng, min(difficulty, source.levels))
        text = source.caption(item.ground_truth)
        if not text:
            raise ValueError(f"generator {kind!r} does not caption its diagrams")
        return SynthItem(
            images=item.images,
            task=f"caption/{kind}",
            ground_truth={"source": kind, "source_truth": item.ground_truth},
            question=compose(rng, *_ASK),
            answer=text,
        )

    def caption(self, ground_truth: dict[str, Any]) -> str | None:
        return get_generator(ground_truth["source"])().caption(ground_truth["source_truth"])

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        if ground_truth.get("source") not in SOURCES:
            return f"not a caption source: {ground_truth.get('source')!r}"
        expected = self.caption(ground_truth) or ""
        if " ".join(expected.split()) != " ".join(answer.split()):
            return f"caption differs from the one rebuilt from the ground truth: {expected!r}"
        return None
