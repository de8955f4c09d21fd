"""The registered ``document`` generator: a page or a scene, then a question on its words."""

from __future__ import annotations

import json
import random
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.synth.base import Generator, SynthItem, check_choices, register_generator
from mmrecipe.synth.document.page import make_page
from mmrecipe.synth.document.questions import (
    MODES,
    TASKS,
    TASKS_BY_MODE,
    compare_grounded,
    derive_answer,
    make_question,
)
from mmrecipe.synth.document.scene import make_scene
from mmrecipe.synth.render import norm_text


@register_generator("document")
class DocumentGenerator(Generator):
    """Pages and scene text with word boxes. Difficulty 1: large clean type; 2: smaller type,
    slight rotation and noise; 3: small type, stronger rotation, blur and noise."""

    def __init__(self, modes: list[str] | None = None, tasks: list[str] | None = None) -> None:
        self.modes = check_choices("mode", modes, MODES)
        self.tasks = check_choices("task", tasks, TASKS)
        if not any(set(TASKS_BY_MODE[m]) & set(self.tasks) for m in self.modes):
            raise ConfigError("no mode of modes supports any task of tasks")

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        mode = rng.choice([m for m in self.modes if set(TASKS_BY_MODE[m]) & set(self.tasks)])
        if mode == "page":
            image, gt = make_page(rng, difficulty)
        else:
            image, gt = make_scene(rng, difficulty)
        task = rng.choice([t for t in TASKS_BY_MODE[mode] if t in self.tasks])
        gt["question"] = make_question(rng, task, gt)
        answer = derive_answer(gt)
        return SynthItem(
            images=[image],
            task=task,
            ground_truth=gt,
            question=gt["question"]["text"],
            answer=answer,
            extra={"words": gt["words"], "ocr_mode": mode},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        expected = derive_answer(ground_truth)
        task = ground_truth["question"]["task"]
        if task == "grounded_ocr":
            return compare_grounded(json.loads(expected), answer)
        if task == "ocr":
            if " ".join(expected.split()) != " ".join(answer.split()):
                return "transcription differs from the rendered text"
            return None
        if norm_text(expected) != norm_text(answer):
            return f"expected {expected!r}, got {answer!r}"
        return None
