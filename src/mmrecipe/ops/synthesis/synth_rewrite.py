"""Map op: R-CoT's LLM stage, optional: a templated synthetic question rewritten into natural
language with a step-by-step solution, kept only when its final answer is still the computed one.

R-CoT pairs a code engine with an LLM ("Two-stage pipeline combining engine accuracy with LLM
diversity", the seed list): the engine makes the figure and the answer, the LLM the wording.
Here the LLM sees the templated question and the engine's reasoning chain and writes a new
question and solution; the generator's own verifier then re-checks the LLM's final answer
against the ground truth, so a rewrite that changed the maths is rejected, never kept.
"""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.io.conversation import text_of
from mmrecipe.jsonreply import QaParseError, parse_json_object, strip_image_tokens
from mmrecipe.ops.base import MapOp
from mmrecipe.prompted import PromptCaller
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.synth.answer_format import RULES
from mmrecipe.synth.base import Generator, get_generator

REWRITE_PROMPT = """You are rewriting a math problem that was generated from a diagram by a \
program. Keep every given value, what is asked, and any instruction about the answer's form \
(rounding, units, the words to answer with), but write the question the way a teacher would, in \
your own words. Then solve it step by step.

Templated question:
{templated_question}

Reference reasoning (computed by the program, correct):
{templated_reply}

Reply with one JSON object and nothing else:
{"question": "<the rewritten question>", "solution": "<numbered steps>", \
"final_answer": "<the final answer only, in the form the question asks for>"}"""


@register_op("synth_rewrite")
class SynthRewrite(MapOp):
    """Rewrites single-turn synthetic samples (from ``synth_*`` ops) with an LLM and keeps the
    rewrite only if the generator's verifier accepts the LLM's final answer and the new question
    still asks for the same answer form. The user turn becomes the rewritten question (image
    placeholders kept), the assistant turn the solution followed by ``Answer: <computed
    answer>``; the templated turns stay in ``fields.templated_question`` / ``templated_reply``.

    Rejects: ``rewrite_mismatch`` (the detail names the model's final answer and the computed
    one), ``rewrite_dropped_format``, ``rewrite_unparsable``, ``not_synthetic`` (no ground truth,
    or an interleaved sample), plus the model errors every prompted op has.

    Args:
        backend: the LLM (R-CoT uses a text LLM; ``use_images`` attaches the diagram as well)
        prompt: replaces the built-in prompt (``{templated_question}`` and
            ``{templated_reply}``, the engine's reasoning and answer, filled)
        use_images: send the image too (the backend must have vision)
        temperature: sampling temperature (some, for varied wording)
        max_tokens: longest reply
    """

    io_bound = True
    reads = ("messages", "fields.generator", "fields.ground_truth", "fields.answer")
    writes = (
        "messages",
        "fields.templated_question",
        "fields.templated_reply",
        "fields.rewritten",
        "trace",
    )

    def __init__(
        self,
        backend: str,
        prompt: str | None = None,
        use_images: bool = False,
        temperature: float = 0.7,
        max_tokens: int = 1024,
    ) -> None:
        template = prompt or REWRITE_PROMPT
        if "{templated_question}" not in template:
            raise ConfigError("synth_rewrite: the prompt must contain {templated_question}")
        self.caller = PromptCaller(
            backend,
            {"rewrite": template},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=use_images,
        )
        self._verifiers: dict[str, Generator] = {}

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.caller.setup(ctx, self.name)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        raise TypeError("synth_rewrite is I/O-bound: the executor calls aprocess_batch")

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        asked = [s for s in samples if not s.rejected and self._prepare(s)]
        for reply in await self.caller.ask(asked, self.name):
            self._apply(reply.sample, reply.text("rewrite"))
        return samples

    def _prepare(self, sample: Sample) -> bool:
        f = sample.fields
        turns = [m.get("role") for m in sample.messages]
        single = turns == ["user", "assistant"] and "<image>" not in text_of(sample.messages[1])
        if not (isinstance(f.get("ground_truth"), dict) and isinstance(f.get("answer"), str)):
            sample.reject(self.name, "not_synthetic", "needs fields.ground_truth and fields.answer")
            return False
        if not single:
            sample.reject(self.name, "not_synthetic", "only single-turn samples are rewritten")
            return False
        f["templated_question"] = strip_image_tokens(text_of(sample.messages[0])).strip()
        f["templated_reply"] = text_of(sample.messages[1]).strip()
        return True

    def _apply(self, sample: Sample, text: str) -> None:
        f = sample.fields
        try:
            data = parse_json_object(text, ("question", "solution", "final_answer"))
        except QaParseError as exc:
            sample.reject(self.name, "rewrite_unparsable", f"{exc}; raw: {text[:2000]}")
            return
        question, solution = str(data["question"]).strip(), str(data["solution"]).strip()
        final = str(data["final_answer"]).strip()
        kind, answer = str(f.get("generator")), f["answer"]
        try:
            problem = self._verifier(kind).verify(f["ground_truth"], final)
        except (ConfigError, KeyError, TypeError, ValueError, IndexError) as exc:
            problem = f"the {kind} verifier cannot read this: {exc!r}"
        if problem is not None:
            sample.reject(
                self.name,
                "rewrite_mismatch",
                f"model's final answer {final!r}, computed answer {answer!r}: {problem}",
            )
            return
        asked = [p.pattern for p, _ in RULES if p.search(f["templated_question"])]
        lost = [p.pattern for p, _ in RULES if p.pattern in asked and not p.search(question)]
        if lost or not question or not solution:
            why = (
                f"the rewrite no longer asks for the answer form ({', '.join(lost)})"
                if lost
                else "empty question or solution"
            )
            sample.reject(self.name, "rewrite_dropped_format", why)
            return
        n_images = len(sample.images)
        user = "\n".join(["<image>"] * n_images + [strip_image_tokens(question).strip()])
        sample.messages = [
            {"role": "user", "content": user},
            {"role": "assistant", "content": f"{strip_image_tokens(solution)}\nAnswer: {answer}"},
        ]
        f["rewritten"] = True

    def _verifier(self, kind: str) -> Generator:
        if kind not in self._verifiers:
            self._verifiers[kind] = get_generator(kind)()
        return self._verifiers[kind]
