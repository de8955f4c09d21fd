"""COGS step 2: each factor program recombined with new tables or charts of the seed's kind;
every answer computed from the new image's ground truth, the composite question written by the
LLM."""

from __future__ import annotations

import hashlib

from mmrecipe.backends.base import SamplingParams
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import ExpandOp
from mmrecipe.ops.cogs.factors import FactorError, run_program
from mmrecipe.ops.cogs.prompts import CHART_RECOMPOSE_PROMPT, RECOMPOSE_PROMPT
from mmrecipe.ops.cogs.views import shown_text, table_view
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.synth.base import Generator
from mmrecipe.synth.chart import ChartGenerator
from mmrecipe.synth.source import generate_samples
from mmrecipe.synth.table import TableGenerator


@register_op("cogs_recompose")
class CogsRecompose(PromptedOp, ExpandOp):
    """``n`` new samples per decomposed seed, each on a new rendered table, or a new chart of
    the seed chart's type (bar, hbar, grouped_bar, stacked_bar, line; drawn with every value
    labelled, as ``synth_chart``'s value questions are).

    The seed's program runs on the new image's ground truth (a chart's through its table view,
    ``ops/cogs/views.py``; a chart whose argmax/argmin ties is redrawn): each step gives a sub-question and
    its computed answer, kept as turns (``<image>`` + step 1, its answer, ..., then the
    composite question and the final answer); ``fields.cogs_steps`` keeps them too, and
    ``fields.ground_truth`` holds the table (a chart's data and spec) and the program so any
    answer can be recomputed.
    The LLM only words the composite question; it never supplies an answer. A new table too
    small for the program is redrawn (up to ``tries`` times), then rejected ``program_does_not_fit``.

    Args:
        backend: a text LLM
        n: new samples per seed
        seed: the new tables' seed (with the seed sample's id and the child number)
        difficulty: the new images' size (1-3, as synth_table / synth_chart)
        tries: table draws per child before giving up
        temperature, max_tokens: the LLM's sampling
    """

    reads = ("fields.cogs_program", "fields.ground_truth")
    writes = (
        "images",
        "messages",
        "fields.cogs_steps",
        "fields.answer",
        "fields.question",
        "fields.ground_truth",
        "fields.task",
        "fields.generator",
    )

    def __init__(
        self,
        backend: str,
        n: int = 2,
        seed: int = 0,
        difficulty: int = 2,
        tries: int = 4,
        temperature: float = 0.7,
        max_tokens: int = 256,
    ) -> None:
        if n < 1 or tries < 1 or difficulty not in (1, 2, 3):
            raise ConfigError("cogs_recompose: n >= 1, tries >= 1, difficulty 1..3")
        self.n, self.seed, self.difficulty, self.tries = n, seed, difficulty, tries
        params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        self.callers = {
            kind: PromptCaller(backend, {"recompose": prompt}, params, use_images=False)
            for kind, prompt in (("table", RECOMPOSE_PROMPT), ("chart", CHART_RECOMPOSE_PROMPT))
        }
        self.caller = self.callers["table"]
        self.generator = TableGenerator(tasks=["lookup"])
        self.chart_generators: dict[str, Generator] = {}

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.callers["chart"].setup(ctx, self.name)

    def _generator(self, parent: Sample) -> tuple[Generator, bool]:
        """The seed's kind of generator; charts draw value questions (all values labelled)."""
        gt = parent.fields["ground_truth"]
        if "chart" not in gt:
            return self.generator, False
        ctype = gt["chart"]["type"]
        if ctype not in self.chart_generators:
            self.chart_generators[ctype] = ChartGenerator(chart_types=[ctype], tasks=["value"])
        return self.chart_generators[ctype], True

    def _new_table(self, parent: Sample, k: int) -> tuple[Sample, list[dict]] | None:
        assert self.ctx is not None
        program = parent.fields["cogs_program"]
        generator, chart = self._generator(parent)
        for attempt in range(self.tries):
            digest = hashlib.sha256(f"{parent.id}/{k}/{attempt}".encode()).digest()
            index = int.from_bytes(digest[:6], "big")
            made = generate_samples(
                generator, index, index + 1, self.seed, self.difficulty, self.ctx.image_dir
            )[0]
            try:
                view = table_view(made.fields["ground_truth"])
                return made, run_program(program, view, unique_extrema=chart)
            except FactorError:
                continue
        return None

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        out: list[Sample] = []
        children: list[Sample] = []
        for sample in samples:
            if sample.rejected:
                out.append(sample)
                continue
            for k in range(self.n):
                child = sample.child(f"cogs{k}")
                made = self._new_table(sample, k)
                if made is None:
                    what = "chart" if "chart" in sample.fields["ground_truth"] else "table"
                    child.reject(self.name, "program_does_not_fit", f"no {what} fitted the program")
                    out.append(child)
                    continue
                table_sample, steps = made
                new_gt = table_sample.fields["ground_truth"]
                child.images = table_sample.images
                child.fields["cogs_steps"] = steps
                for stale in ("rationale", "answer_style", "cells"):
                    child.fields.pop(stale, None)
                kind = "chart" if "chart" in new_gt else "table"
                child.fields.update(
                    task="cogs", generator=f"cogs/{kind}", domain=f"synthetic/{kind}"
                )
                if kind == "table":
                    child.fields["cells"] = table_sample.fields.get("cells")
                    child.fields["cogs_entity"] = new_gt["table"]["header"][0].lower()
                else:
                    child.fields["chart_type"] = new_gt["chart"]["type"]
                    child.fields["cogs_shown"] = shown_text(new_gt)
                child.fields["cogs_steps_text"] = "\n".join(
                    f"{i + 1}. {s['question']}" for i, s in enumerate(steps)
                )
                child.fields["ground_truth"] = {
                    **({"chart": new_gt["chart"]} if kind == "chart" else {}),
                    "table": new_gt["table"],
                    "program": sample.fields["cogs_program"],
                    "seed_question": sample.fields.get("cogs_question"),
                }
                children.append(child)
        answers = [
            answer
            for kind, caller in self.callers.items()
            for answer in await caller.ask(
                [c for c in children if c.fields["generator"] == f"cogs/{kind}"], self.name
            )
        ]
        for answer in answers:
            child = answer.sample
            question = answer.text("recompose").strip().replace("<image>", "").strip()
            steps = child.fields["cogs_steps"]
            turns = []
            for i, step in enumerate(steps):
                turns.append(
                    {"role": "user", "content": ("<image>\n" if i == 0 else "") + step["question"]}
                )
                turns.append({"role": "assistant", "content": step["answer"]})
            turns.append({"role": "user", "content": question})
            turns.append({"role": "assistant", "content": steps[-1]["answer"]})
            child.messages = turns
            child.fields["answer"] = steps[-1]["answer"]
            child.fields["question"] = question
        for child in children:
            for key in ("cogs_entity", "cogs_shown", "cogs_steps_text"):
                child.fields.pop(key, None)
        return out + children
