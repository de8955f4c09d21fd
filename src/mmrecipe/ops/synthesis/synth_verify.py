"""Map op: re-derive every synthetic answer from its ground truth and drop the ones that differ."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.io.conversation import text_of
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.synth.answer_format import format_problem
from mmrecipe.synth.answer_style import reply_problem
from mmrecipe.synth.base import Generator, get_generator


@register_op("synth_verify")
class SynthVerify(MapOp):
    """Runs the generator's verifier on ``fields.ground_truth`` and ``fields.answer`` and checks
    that the last assistant turn gives that answer in the sample's ``fields.answer_style``
    (``sentence``: its last sentence states it; ``final_line``: it ends with it; ``boxed``: its
    last ``\\boxed{}`` holds it; none: it ends with it), so edits by later ops cannot silently
    change what a trainer sees, then that the answer takes the form the question asks for
    (two decimals, one of the named words, ``(x, y)``, JSON...). Failures are rejected as
    ``answer_mismatch`` or ``format_mismatch`` with the detail; samples without synthesis
    fields as ``not_synthetic``.
    """

    reads = ("fields.generator", "fields.ground_truth", "fields.answer", "messages")
    writes = ("fields.verified",)

    def __init__(self) -> None:
        self._verifiers: dict[str, Generator] = {}

    def _verifier(self, kind: str) -> Generator:
        if kind not in self._verifiers:
            self._verifiers[kind] = get_generator(kind)()
        return self._verifiers[kind]

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            reason = self._check(sample)
            if reason is None:
                sample.fields["verified"] = True
        return samples

    def _check(self, sample: Sample) -> str | None:
        f = sample.fields
        kind, truth, answer = f.get("generator"), f.get("ground_truth"), f.get("answer")
        if not isinstance(kind, str) or not isinstance(truth, dict) or not isinstance(answer, str):
            sample.reject(
                self.name,
                "not_synthetic",
                "needs fields.generator, fields.ground_truth and fields.answer (from a synth_* op)",
            )
            return "not_synthetic"
        try:
            verifier = self._verifier(kind)
        except ConfigError as exc:
            sample.reject(self.name, "unknown_generator", str(exc))
            return "unknown_generator"
        try:
            problem = verifier.verify(truth, answer)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            problem = f"ground truth unreadable by the {kind} verifier: {exc!r}"
        if problem is None:
            replies = [m for m in sample.messages if m.get("role") == "assistant"]
            last = text_of(replies[-1]).rstrip() if replies else ""
            style = f.get("answer_style")
            problem = reply_problem(last, answer, style if isinstance(style, str) else None)
        if problem is not None:
            sample.reject(self.name, "answer_mismatch", f"{kind}: {problem}")
            return problem
        users = [m for m in sample.messages if m.get("role") == "user"]
        question = text_of(users[0]) if users else ""
        problem = format_problem(question, answer)
        if problem is not None:
            sample.reject(self.name, "format_mismatch", f"{kind}: {problem}")
        return problem
