"""The registered ``chart`` generator: a table, a question, a spec, then the image."""

from __future__ import annotations

import random
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.synth.base import Generator, SynthItem, check_choices, register_generator
from mmrecipe.synth.chart.data import make_table
from mmrecipe.synth.chart.plot import make_spec, render_chart
from mmrecipe.synth.chart.questions import (
    CHART_TYPES,
    TASKS,
    TASKS_BY_TYPE,
    derive_answer,
    make_question,
    match_pair,
)
from mmrecipe.synth.render import (
    compare_tables,
    match_answer,
    parse_table,
)


@register_generator("chart")
class ChartGenerator(Generator):
    """Chart images with question/answer pairs right by construction.

    Difficulty: 1 = few categories, one series, integers; 2 = more categories and series;
    3 = up to 9 categories and 4 series, decimals, log scales, value labels sometimes hidden
    (only for questions that can be answered by eye with a clear margin).
    """

    def __init__(
        self, chart_types: list[str] | None = None, tasks: list[str] | None = None
    ) -> None:
        self.chart_types = check_choices("chart type", chart_types, CHART_TYPES)
        self.tasks = check_choices("task", tasks, TASKS)
        if not any(set(TASKS_BY_TYPE[c]) & set(self.tasks) for c in self.chart_types):
            raise ConfigError("no chart type of chart_types supports any task of tasks")

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        ctype = rng.choice([c for c in self.chart_types if set(TASKS_BY_TYPE[c]) & set(self.tasks)])
        table = make_table(rng, ctype, difficulty)
        task = rng.choice([t for t in TASKS_BY_TYPE[ctype] if t in self.tasks])
        question = make_question(rng, task, table, ctype, difficulty)
        spec = make_spec(rng, ctype, table, question, difficulty)
        gt = {"chart": spec, "table": table, "question": question}
        answer, rationale = derive_answer(gt)
        image = render_chart(spec, table)
        return SynthItem(
            images=[image],
            task=task,
            ground_truth=gt,
            question=question["text"],
            answer=answer,
            rationale=rationale,
            extra={"chart_type": ctype},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        expected, _ = derive_answer(ground_truth)
        task = ground_truth["question"]["task"]
        if task in ("to_csv", "to_markdown"):
            return compare_tables(parse_table(expected) or [], parse_table(answer))
        if task == "coordinates":
            return match_pair(expected, answer)
        return match_answer(expected, answer)
