"""COGS step 2: each factor program recombined with new tables of the same kind; every answer
computed from the new table's ground truth, the composite question written by the LLM."""

from __future__ import annotations

import hashlib

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import ExpandOp
from mmrecipe.ops.cogs.factors import FactorError, run_program
from mmrecipe.ops.cogs.prompts import RECOMPOSE_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.synth.source import generate_samples
from mmrecipe.synth.table import TableGenerator


@register_op("cogs_recompose")
class CogsRecompose(PromptedOp, ExpandOp):
    """``n`` new samples per decomposed seed, each on a new rendered table.

    The seed's program runs on the new table's ground truth: each step gives a sub-question and
    its computed answer, kept as turns (``<image>`` + step 1, its answer, ..., then the
    composite question and the final answer); ``fields.cogs_steps`` keeps them too, and
    ``fields.ground_truth`` holds the table and the program so any answer can be recomputed.
    The LLM only words the composite question; it never supplies an answer. A new table too
    small for the program is redrawn (up to ``tries`` times), then rejected ``program_does_not_fit``.

    Args:
        backend: a text LLM
        n: new samples per seed
        seed: the new tables' seed (with the seed sample's id and the child number)
        difficulty: the new tables' size (1-3, as synth_table)
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
        self.caller = PromptCaller(
            backend,
            {"recompose": RECOMPOSE_PROMPT},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.generator = TableGenerator(tasks=["lookup"])

    def _new_table(self, parent: Sample, k: int) -> tuple[Sample, list[dict]] | None:
        assert self.ctx is not None
        program = parent.fields["cogs_program"]
        for attempt in range(self.tries):
            digest = hashlib.sha256(f"{parent.id}/{k}/{attempt}".encode()).digest()
            index = int.from_bytes(digest[:6], "big")
            made = generate_samples(
                self.generator, index, index + 1, self.seed, self.difficulty, self.ctx.image_dir
            )[0]
            try:
                return made, run_program(program, made.fields["ground_truth"]["table"])
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
                    child.reject(self.name, "program_does_not_fit", "no table fitted the program")
                    out.append(child)
                    continue
                table_sample, steps = made
                table = table_sample.fields["ground_truth"]["table"]
                child.images = table_sample.images
                child.fields["cogs_steps"] = steps
                for stale in ("rationale", "answer_style", "cells"):
                    child.fields.pop(stale, None)
                child.fields.update(task="cogs", generator="cogs/table", domain="synthetic/table")
                child.fields["cells"] = table_sample.fields.get("cells")
                child.fields["cogs_entity"] = table["header"][0].lower()
                child.fields["cogs_steps_text"] = "\n".join(
                    f"{i + 1}. {s['question']}" for i, s in enumerate(steps)
                )
                child.fields["ground_truth"] = {
                    "table": table,
                    "program": sample.fields["cogs_program"],
                    "seed_question": sample.fields.get("cogs_question"),
                }
                children.append(child)
        for answer in await self.caller.ask(children, self.name):
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
            for key in ("cogs_entity", "cogs_steps_text"):
                child.fields.pop(key, None)
        return out + children
