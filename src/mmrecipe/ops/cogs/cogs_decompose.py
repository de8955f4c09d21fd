"""COGS step 1: an LLM breaks a seed question on one of our tables into factors (JSON); the
program is validated against the table and bound to column/row positions."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.jsonreply import json_candidates
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.cogs.factors import FactorError, bind_program, run_program
from mmrecipe.ops.cogs.prompts import DECOMPOSE_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("cogs_decompose")
class CogsDecompose(PromptedOp, MapOp):
    """Decompose each seed question (a ``synth_table`` sample: its question and table) into a
    factor program (``ops/cogs/factors.py``) stored in ``fields.cogs_program``.

    The LLM gets the question and the table's names as text (the ground truth, so names bind
    exactly; COGS decomposes with the image). The program must run on the seed's own table and
    give the seed's answer: a decomposition that computes something else is rejected.

    Rejects: ``unparseable_program`` (no JSON list), ``bad_program`` (outside the algebra),
    ``wrong_program`` (runs, but not to the seed's answer), ``not_a_table`` (no table truth).

    Args:
        backend: a text LLM
        temperature: sampling temperature
        max_tokens: longest answer
    """

    reads = ("fields.ground_truth", "fields.answer")
    writes = ("fields.cogs_program", "fields.cogs_question", "trace")

    def __init__(self, backend: str, temperature: float = 0.0, max_tokens: int = 1024) -> None:
        self.caller = PromptCaller(
            backend,
            {"decompose": DECOMPOSE_PROMPT},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            gt = sample.fields.get("ground_truth")
            if sample.rejected:
                continue
            if not isinstance(gt, dict) or "table" not in gt or "question" not in gt:
                sample.reject(self.name, "not_a_table", "COGS seeds here are synth/table samples")
                continue
            table = gt["table"]
            sample.fields["cogs_question"] = gt["question"]["text"]
            sample.fields["cogs_columns"] = ", ".join(map(repr, table["header"]))
            sample.fields["cogs_rows"] = ", ".join(repr(r[0]) for r in table["rows"])
        for answer in await self.caller.ask(samples, self.name):
            sample = answer.sample
            table = sample.fields["ground_truth"]["table"]
            lists = [v for v in json_candidates(answer.text("decompose")) if isinstance(v, list)]
            for key in ("cogs_columns", "cogs_rows"):
                sample.fields.pop(key, None)
            if not lists:
                sample.reject(self.name, "unparseable_program", answer.text("decompose")[-300:])
                continue
            try:
                program = bind_program(lists[0], table["header"], table["rows"])
                final = run_program(program, table)[-1]["answer"]
            except FactorError as exc:
                sample.reject(self.name, "bad_program", str(exc))
                continue
            if final != sample.fields.get("answer"):
                sample.reject(
                    self.name,
                    "wrong_program",
                    f"computes {final!r}, the seed's answer is {sample.fields.get('answer')!r}",
                )
                continue
            sample.fields["cogs_program"] = program
        for sample in samples:
            for key in ("cogs_columns", "cogs_rows"):
                sample.fields.pop(key, None)
        return samples
