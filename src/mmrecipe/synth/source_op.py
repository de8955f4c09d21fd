"""A generic source op over one synthesis generator, shared by every ``synth_*`` op."""

from __future__ import annotations

from typing import Any, ClassVar

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import SourceOp
from mmrecipe.sample import Sample
from mmrecipe.synth.base import Generator, get_generator
from mmrecipe.synth.source import generate_samples


class SynthSourceOp(SourceOp):
    """Makes ``num_samples`` samples from the generator ``generator_kind``.

    Subclasses set ``generator_kind`` and pass generator options (task filters, styles) to
    ``__init__``; sample ``i`` depends only on (seed, kind, i, difficulty, options), so shards
    are independent and a resumed run regenerates identical images.
    """

    generator_kind: ClassVar[str] = ""
    writes = ("images", "messages", "fields.ground_truth", "fields.answer", "fields.task")

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: int = 1,
        generator_options: dict[str, Any] | None = None,
    ) -> None:
        if num_samples < 0:
            raise ConfigError(f"{self.generator_kind}: num_samples must be >= 0")
        if difficulty not in (1, 2, 3):
            raise ConfigError(f"{self.generator_kind}: difficulty must be 1, 2 or 3")
        self.num_samples = num_samples
        self.seed = seed
        self.difficulty = difficulty
        self.generator: Generator = get_generator(self.generator_kind)(**(generator_options or {}))

    def count(self) -> int:
        return self.num_samples

    def generate(self, start: int, stop: int) -> list[Sample]:
        assert self.ctx is not None, "setup() must run before generate()"
        return generate_samples(
            self.generator, start, stop, self.seed, self.difficulty, self.ctx.image_dir
        )
