"""The source-op plumbing shared by every ``synth_*`` op: counts, seeds, difficulty, mixing.

A synthesis source op owns a weighted set of generator kinds. Index ``i`` of the run is assigned
to one kind by a low-discrepancy sequence (so any shard ``start..stop`` is computed on its own,
and the kinds' shares stay within a few samples of their ratios at every prefix), and its content
is a function of ``(seed, kind, i)`` only: reruns, resumes and shards give identical bytes.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, ClassVar

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import SourceOp
from mmrecipe.sample import Sample
from mmrecipe.synth.answer_style import ANSWER_STYLES, DEFAULT_ANSWER_STYLE
from mmrecipe.synth.base import Generator, all_generators
from mmrecipe.synth.source import generate_samples

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0

SYNTH_WRITES = (
    "images",
    "messages",
    "fields.generator",
    "fields.task",
    "fields.answer",
    "fields.ground_truth",
    "fields.difficulty",
    "fields.domain",
    "fields.answer_style",
)


def resolve_kinds(weights: dict[str, float], what: str = "generators") -> dict[str, float]:
    """Validate ``kind -> ratio``: known kinds, non-negative ratios, something to draw from.

    Raises a ConfigError naming every unknown kind (with the known ones) so a recipe that lists
    a generator from a module that is not installed fails before anything runs.
    """
    if not weights:
        raise ConfigError(f"{what}: give at least one generator kind with a ratio")
    known = all_generators()
    unknown = sorted(k for k in weights if k not in known)
    if unknown:
        raise ConfigError(
            f"{what}: unknown synthesis generator(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    bad = {k: v for k, v in weights.items() if not (isinstance(v, int | float) and v >= 0)}
    if bad:
        raise ConfigError(f"{what}: ratios must be numbers >= 0, got {bad}")
    kept = {k: float(v) for k, v in sorted(weights.items()) if v > 0}
    if not kept:
        raise ConfigError(f"{what}: every ratio is 0; give at least one ratio > 0")
    return kept


class SynthSourceOp(SourceOp):
    """Base of synthesis source ops: ``num_samples`` items drawn from weighted generator kinds.

    Subclasses call :meth:`_configure` from their typed ``__init__``.
    """

    reads = ()
    writes = SYNTH_WRITES
    #: set by single-generator ops (synth_chart, ...), which use the ``__init__`` below
    generator_kind: ClassVar[str] = ""

    num_samples: int
    seed: int
    difficulty: int
    max_difficulty: int | None
    weights: dict[str, float]

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: int = 1,
        generator_options: dict[str, Any] | None = None,
        answer_style: str = DEFAULT_ANSWER_STYLE,
    ) -> None:
        """The single-generator form: ``generator_kind`` with its options (task filters...)."""
        kind = self.generator_kind
        self._configure(
            {kind: 1.0},
            num_samples,
            seed,
            difficulty,
            None,
            {kind: generator_options or {}},
            answer_style=answer_style,
        )

    def _configure(
        self,
        weights: dict[str, float],
        num_samples: int,
        seed: int,
        difficulty: int,
        max_difficulty: int | None,
        options: dict[str, dict[str, Any]] | None = None,
        answer_style: str | dict[str, str] = DEFAULT_ANSWER_STYLE,
    ) -> None:
        if num_samples < 0:
            raise ConfigError(f"num_samples must be >= 0, got {num_samples}")
        if difficulty < 1:
            raise ConfigError(f"difficulty must be >= 1, got {difficulty}")
        if max_difficulty is not None and max_difficulty < difficulty:
            raise ConfigError(
                f"max_difficulty ({max_difficulty}) must be >= difficulty ({difficulty})"
            )
        self.weights = resolve_kinds(weights)
        known = all_generators()
        top = max(difficulty, max_difficulty or difficulty)
        deepest = max(known[k].levels for k in self.weights)
        if top > deepest:
            ranges = ", ".join(f"{k} 1-{known[k].levels}" for k in self.weights)
            raise ConfigError(
                f"difficulty {top} is beyond every generator here ({ranges}); use {deepest} or less"
            )
        self.num_samples = num_samples
        self.seed = seed
        self.difficulty = difficulty
        self.max_difficulty = max_difficulty
        total = sum(self.weights.values())
        self._kinds = list(self.weights)
        self._cum: list[float] = []
        acc = 0.0
        for k in self._kinds:
            acc += self.weights[k] / total
            self._cum.append(acc)
        self._cum[-1] = 1.0
        self._offset = _unit(f"{seed}:mix-offset")
        self._options = options or {}
        self._generators: dict[str, Generator] = {}
        self.answer_styles = _answer_styles(answer_style, self.weights)

    def count(self) -> int:
        return self.num_samples

    def kind_at(self, index: int) -> str:
        """The generator kind of sample ``index`` (depends on seed, ratios and index only)."""
        if len(self._kinds) == 1:
            return self._kinds[0]
        u = (self._offset + index * _GOLDEN) % 1.0
        for kind, edge in zip(self._kinds, self._cum, strict=True):
            if u < edge:
                return kind
        return self._kinds[-1]

    def difficulty_at(self, index: int) -> int:
        """``difficulty``, or a level drawn per index in ``difficulty..max_difficulty``."""
        if self.max_difficulty is None or self.max_difficulty == self.difficulty:
            return self.difficulty
        span = self.max_difficulty - self.difficulty + 1
        return self.difficulty + int(_unit(f"{self.seed}:difficulty:{index}") * span)

    def generator(self, kind: str) -> Generator:
        if kind not in self._generators:
            self._generators[kind] = all_generators()[kind](**self._options.get(kind, {}))
        return self._generators[kind]

    def generate(self, start: int, stop: int) -> list[Sample]:
        assert self.ctx is not None, "setup() must run before generate()"
        out: list[Sample] = []
        for index in range(start, min(stop, self.num_samples)):
            gen = self.generator(self.kind_at(index))
            level = min(self.difficulty_at(index), gen.levels)
            style = self.answer_styles.get(gen.kind, DEFAULT_ANSWER_STYLE)
            out.extend(
                generate_samples(gen, index, index + 1, self.seed, level, self.ctx.image_dir, style)
            )
        return out

    def fingerprint_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"weights": self.weights, "options": self._options}
        styles = {k: v for k, v in self.answer_styles.items() if v != DEFAULT_ANSWER_STYLE}
        if styles:  # only when set: runs made before styles keep their fingerprint
            extra["answer_styles"] = styles
        return extra


def _answer_styles(given: str | dict[str, str], kinds: dict[str, float]) -> dict[str, str]:
    """``answer_style`` for every kind: one style for all, or kind -> style (others default)."""
    known = all_generators()
    single_turn = [k for k in kinds if not known[k].interleaved]
    styles = {k: given for k in single_turn} if isinstance(given, str) else dict(given)
    unknown = sorted(set(styles) - set(kinds))
    if unknown:
        raise ConfigError(
            f"answer_style names kind(s) {', '.join(map(repr, unknown))} that this op does not "
            f"make; kinds here: {', '.join(kinds)}"
        )
    traces = sorted(k for k, v in styles.items() if k not in single_turn)
    if traces:
        raise ConfigError(
            f"answer_style: {', '.join(traces)} make interleaved traces, whose replies have no "
            "answer style; name single-turn kinds only"
        )
    for kind, style in styles.items():
        if style not in ANSWER_STYLES:
            raise ConfigError(
                f"answer_style of {kind} must be one of {', '.join(ANSWER_STYLES)}, not {style!r}"
            )
    return {k: styles.get(k, DEFAULT_ANSWER_STYLE) for k in kinds}


def _unit(text: str) -> float:
    """A deterministic number in [0, 1) from a string."""
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
