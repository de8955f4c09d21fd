"""COGS step 1: an LLM breaks a seed question on one of our tables or charts into factors
(JSON); the program is validated against the seed's data and bound to column/row positions."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.context import OpContext
from mmrecipe.jsonreply import json_candidates
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.cogs.factors import FactorError, bind_program, run_program
from mmrecipe.ops.cogs.prompts import CHART_DECOMPOSE_PROMPT, DECOMPOSE_PROMPT
from mmrecipe.ops.cogs.views import CHART_KINDS, seed_kind, strip_unit, table_view
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("cogs_decompose")
class CogsDecompose(PromptedOp, MapOp):
    """Decompose each seed question (a ``synth_table`` sample, or a ``synth_chart`` sample of a
    bar/line kind: its question and data) into a factor program (``ops/cogs/factors.py``)
    stored in ``fields.cogs_program``.

    The LLM gets the question and the table's names as text (the ground truth, so names bind
    exactly; COGS decomposes with the image). A chart's data is its table view
    (``ops/cogs/views.py``: categories are rows, series are columns). The program must run on
    the seed's own data and give the seed's answer: one that computes something else is rejected.

    Rejects: ``unparseable_program`` (no JSON list), ``bad_program`` (outside the algebra),
    ``wrong_program`` (runs, but not to the seed's answer), ``not_a_table`` (no table truth,
    or a pie/scatter chart).

    Args:
        backend: a text LLM
        temperature: sampling temperature
        max_tokens: longest answer
    """

    reads = ("fields.ground_truth", "fields.answer")
    writes = ("fields.cogs_program", "fields.cogs_question", "trace")

    def __init__(self, backend: str, temperature: float = 0.0, max_tokens: int = 1024) -> None:
        params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        self.callers = {
            kind: PromptCaller(backend, {"decompose": prompt}, params, use_images=False)
            for kind, prompt in (("table", DECOMPOSE_PROMPT), ("chart", CHART_DECOMPOSE_PROMPT))
        }
        self.caller = self.callers["table"]

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.callers["chart"].setup(ctx, self.name)

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            gt = sample.fields.get("ground_truth")
            if sample.rejected:
                continue
            kind = seed_kind(gt)
            if kind is None:
                sample.reject(
                    self.name,
                    "not_a_table",
                    f"COGS seeds here are synth/table samples or {'/'.join(CHART_KINDS)} charts",
                )
                continue
            table = table_view(gt)
            sample.fields["cogs_question"] = gt["question"]["text"]
            sample.fields["cogs_columns"] = ", ".join(map(repr, table["header"]))
            sample.fields["cogs_rows"] = ", ".join(repr(r[0]) for r in table["rows"])
        by_kind: dict[str, list[Sample]] = {"table": [], "chart": []}
        for sample in samples:
            if not sample.rejected:
                by_kind[seed_kind(sample.fields["ground_truth"]) or "table"].append(sample)
        answers = [
            answer
            for kind, caller in self.callers.items()
            for answer in await caller.ask(by_kind[kind], self.name)
        ]
        for answer in answers:
            sample = answer.sample
            gt = sample.fields["ground_truth"]
            table = table_view(gt)
            lists = [v for v in json_candidates(answer.text("decompose")) if isinstance(v, list)]
            for key in _SCRATCH:
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
            if final != strip_unit(sample.fields.get("answer"), gt):
                sample.reject(
                    self.name,
                    "wrong_program",
                    f"computes {final!r}, the seed's answer is {sample.fields.get('answer')!r}",
                )
                continue
            sample.fields["cogs_program"] = program
        for sample in samples:
            for key in _SCRATCH:
                sample.fields.pop(key, None)
        return samples


_SCRATCH = ("cogs_columns", "cogs_rows")
