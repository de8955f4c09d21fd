"""MMEvol: evolve image–instruction–answer samples in rounds, judge each round, keep lineage."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Literal

from mmrecipe.backends.base import SamplingParams
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import ExpandOp
from mmrecipe.ops.generation.mmevol_prompts import EVOLVE, JUDGE, JUDGE_SCHEMA
from mmrecipe.ops.generation.qa import (
    QA_PAIR_SCHEMA,
    QaParseError,
    parse_json_object,
    parse_qa_pairs,
    qa_turns,
    raw_detail,
    strip_image_tokens,
)
from mmrecipe.prompted import IoBoundOp, PromptCaller, template_fields
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_SCORE = {k: re.compile(rf"{k}\W{{0,5}}(\d)", re.I) for k in ("harder", "correct")}


@register_op("mmevol")
class MMEvol(IoBoundOp, ExpandOp):
    """MMEvol (Luo et al., 2024): evolve each seed sample's instruction and answer in
    ``rounds`` rounds, the MLLM seeing the image; each round takes one direction (fine-grained
    ``perception``, cognitive ``reasoning``, ``interaction`` form), then a judge, also with the
    image, rates whether the evolved sample is harder (``scores.evolve_harder``, 1–5) and still
    correct (``scores.evolve_correct``, 1–5). A failed evolution (below ``min_harder`` or
    ``min_correct``: ``evolution_failed``; unparseable: ``unparseable_evolution`` /
    ``unparseable_judgement``, raw text kept) is eliminated and its lineage stops; a
    successful one is kept and evolved again in the next round.

    Every round's sample is its own output sample (id ``<parent>-e<round>``) with one QA pair
    as its conversation, ``fields.evolved_from`` (the parent's id), ``fields.evolution_round``
    and ``fields.evolution_direction``; the seed is kept as round 0 (``keep_seed``). Every QA
    pair of a multi-turn seed evolves on its own lineage (``pairs: all``; the first pair's
    children are ``<seed>-e1``, pair k's ``<seed>-pk-e1``); ``pairs: first`` evolves only the
    first user/assistant turn (or ``fields.question`` / ``fields.answer``).

    Args:
        backend: the MLLM that evolves (it gets the image)
        judge_backend: the MLLM that judges (default: the same)
        rounds: evolution rounds
        directions: the directions a round may take: perception, reasoning, interaction
        pick: cycle (round r takes directions[(r - 1 + seed offset) % n]) or random (per sample)
        min_harder: judge's harder score needed to survive (1-5)
        min_correct: judge's correct score needed to survive (1-5)
        keep_seed: output the seed sample too (as round 0)
        pairs: all (every QA pair of a multi-turn seed evolves on its own lineage; the paper
            evolves seed instructions, whatever their number) or first (only the first pair)
        json_mode: auto (guided decoding where the backend declares json_schema), schema, prompt
        prompts: replace the evolution prompt of a direction ({question}, {answer})
        judge_prompt: replace the judge prompt ({parent_question}, {parent_answer}, {question}, {answer})
        temperature: evolution sampling temperature
        max_tokens: longest evolution, in tokens
        seed: changes the directions ``pick: random`` draws
    """

    reads = ("images", "messages")
    writes = ("messages", "fields.evolved_from", "fields.evolution_round", "trace")

    def __init__(
        self,
        backend: str,
        judge_backend: str | None = None,
        rounds: int = 3,
        directions: list[str] | None = None,
        pick: Literal["cycle", "random"] = "cycle",
        min_harder: int = 3,
        min_correct: int = 4,
        keep_seed: bool = True,
        pairs: Literal["all", "first"] = "all",
        json_mode: Literal["auto", "schema", "prompt"] = "auto",
        prompts: dict[str, str] | None = None,
        judge_prompt: str | None = None,
        temperature: float = 0.7,
        max_tokens: int = 1024,
        seed: int = 0,
    ) -> None:
        self.directions = list(directions or ["perception", "reasoning", "interaction"])
        templates = {**EVOLVE, **(prompts or {})}
        unknown = [d for d in self.directions if d not in templates]
        if unknown or not self.directions:
            raise ConfigError(
                f"mmevol: no prompt for direction(s) {unknown}: use {sorted(EVOLVE)} or give "
                "prompts: {name: template}"
            )
        if rounds < 1:
            raise ConfigError("mmevol: rounds must be >= 1")
        if not (1 <= min_harder <= 5 and 1 <= min_correct <= 5):
            raise ConfigError("mmevol: min_harder and min_correct are judge scores 1-5")
        judge_prompt = judge_prompt or JUDGE
        for name in self.directions:
            if set(template_fields(templates[name])) - {"question", "answer"}:
                raise ConfigError(f"mmevol: prompt {name!r} may use {{question}}, {{answer}}")
        self.rounds = rounds
        self.pick = pick
        self.min_harder = min_harder
        self.min_correct = min_correct
        self.keep_seed = keep_seed
        if pairs not in ("all", "first"):
            raise ConfigError(f"mmevol: pairs must be all or first, not {pairs!r}")
        self.pairs = pairs
        self.json_mode = json_mode
        self.seed = seed
        caps = ("json_schema",) if json_mode == "schema" else ()
        self.evolve_params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        self.judge_params = SamplingParams(temperature=0.0, max_tokens=512)
        self.evolvers = {
            d: PromptCaller(
                backend, {d: templates[d]}, self.evolve_params, use_images=True, capabilities=caps
            )
            for d in self.directions
        }
        self.judge = PromptCaller(
            judge_backend or backend,
            {"judge": judge_prompt},
            self.judge_params,
            use_images=True,
            capabilities=caps,
        )

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        for caller, schema in [*((c, QA_PAIR_SCHEMA) for c in self.evolvers.values()),
                               (self.judge, JUDGE_SCHEMA)]:  # fmt: skip
            caller.setup(ctx, self.name)
            assert caller.backend is not None
            if self.json_mode == "schema" or (
                self.json_mode == "auto" and "json_schema" in caller.backend.capabilities
            ):
                caller.params = dataclasses.replace(caller.params, json_schema=schema)

    def direction(self, seed_id: str, round_: int) -> str:
        n = len(self.directions)
        if self.pick == "cycle":
            return self.directions[(round_ - 1) % n]
        digest = hashlib.sha256(f"{self.seed}\x1f{seed_id}\x1f{round_}".encode()).digest()
        return self.directions[int.from_bytes(digest[:8], "big") % n]

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        out: list[Sample] = []
        live: list[tuple[Sample, str, str, str]] = []  # (parent, seed id, question, answer)
        for sample in samples:
            if sample.rejected:
                out.append(sample)
                continue
            found = seed_pairs(sample)
            if not found:
                out.append(sample.reject(self.name, "no_instruction", "no question and answer"))
                continue
            sample.fields["evolution_round"] = 0
            if self.keep_seed:
                out.append(sample)
            for k, (q, a) in enumerate(found if self.pairs == "all" else found[:1]):
                # lineage key: the seed id, plus the pair's index after the first
                live.append((sample, sample.id if k == 0 else f"{sample.id}#p{k}", q, a))
        for round_ in range(1, self.rounds + 1):
            if not live:
                break
            children = [self._child(p, sid, q, a, round_) for p, sid, q, a in live]
            out.extend(children)
            await self._evolve(children)
            await self._judge([c for c in children if not c.rejected])
            live = [
                (c, sid, c.fields["question"], c.fields["answer"])
                for c, (_, sid, _, _) in zip(children, live, strict=True)
                if not c.rejected
            ]
        return out

    def _child(self, parent: Sample, seed_id: str, q: str, a: str, round_: int) -> Sample:
        pair_index = seed_id.rpartition("#p")[2] if "#p" in seed_id else ""
        suffix = f"p{pair_index}-e{round_}" if pair_index and round_ == 1 else f"e{round_}"
        child = parent.child(suffix)
        child.trace = {}
        child.fields.update(
            evolved_from=parent.id,
            evolution_round=round_,
            evolution_direction=self.direction(seed_id, round_),
            question=q,
            answer=a,
        )
        return child

    async def _evolve(self, children: list[Sample]) -> None:
        for direction, caller in self.evolvers.items():
            group = [c for c in children if c.fields["evolution_direction"] == direction]
            if not group:
                continue
            for answer in await caller.ask(group, self.name):
                child, text = answer.sample, answer.text(direction)
                try:
                    pair = parse_qa_pairs(text)[0]
                except QaParseError as exc:
                    child.reject(self.name, "unparseable_evolution", raw_detail(str(exc), text))
                    continue
                child.fields["parent_question"] = child.fields["question"]
                child.fields["parent_answer"] = child.fields["answer"]
                child.fields["question"], child.fields["answer"] = pair["question"], pair["answer"]
                child.messages = qa_turns([pair], len(child.images))
            _own_rejections(group, self.name)

    async def _judge(self, children: list[Sample]) -> None:
        if not children:
            return
        for answer in await self.judge.ask(children, f"{self.name}.judge"):
            child, text = answer.sample, answer.text("judge")
            scores = judge_scores(text)
            if scores is None:
                child.reject(
                    self.name,
                    "unparseable_judgement",
                    raw_detail("no harder/correct scores", text),
                )
                continue
            harder, correct, reason = scores
            child.scores["evolve_harder"] = harder
            child.scores["evolve_correct"] = correct
            if harder < self.min_harder or correct < self.min_correct:
                child.reject(
                    self.name,
                    "evolution_failed",
                    f"harder {harder} (min {self.min_harder}), correct {correct} "
                    f"(min {self.min_correct}): {reason}",
                )
        _own_rejections(children, self.name)


def _own_rejections(samples: list[Sample], step: str) -> None:
    """Rejections made while asking (model_error, ...) carry this step's name."""
    for sample in samples:
        if sample.rejection is not None:
            sample.rejection.op = step


def seed_pair(sample: Sample) -> tuple[str, str] | None:
    """The seed's first question and answer (its first user and assistant turns, or fields)."""
    found = seed_pairs(sample)
    return found[0] if found else None


def seed_pairs(sample: Sample) -> list[tuple[str, str]]:
    """Every question and answer of the seed, in order: each user turn with the assistant
    turn after it (empty ones skipped), or ``fields.question`` / ``fields.answer``."""
    if any(m.get("role") == "assistant" for m in sample.messages):
        out, question = [], None
        for message in sample.messages:
            if message.get("role") == "user":
                question = strip_image_tokens(str(message["content"]))
            elif message.get("role") == "assistant" and question is not None:
                answer = str(message["content"]).strip()
                if question and answer:
                    out.append((question, answer))
                question = None
        return out
    q = str(sample.fields.get("question") or "").strip()
    a = str(sample.fields.get("answer") or "").strip()
    return [(q, a)] if q and a else []


def judge_scores(text: str) -> tuple[int, int, str] | None:
    """(harder, correct, reason) from a judge's JSON, or from ``harder: k`` text."""
    try:
        obj = parse_json_object(text, ("harder", "correct"))
        harder, correct = int(obj["harder"]), int(obj["correct"])
        reason = str(obj.get("reason", ""))
    except (QaParseError, TypeError, ValueError):
        found = {k: p.search(text) for k, p in _SCORE.items()}
        if not all(found.values()):
            return None
        harder, correct = (int(m.group(1)) for m in found.values() if m is not None)
        reason = ""
    if not (1 <= harder <= 5 and 1 <= correct <= 5):
        return None
    return harder, correct, reason
