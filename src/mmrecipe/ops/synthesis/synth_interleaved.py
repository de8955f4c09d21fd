"""Source op: ThinkMorph-style interleaved traces (text -> produced image -> text)."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.registry import register_op
from mmrecipe.synth.source_op import SynthSourceOp

INTERLEAVED_TASKS = ("jigsaw", "maze", "visual_search", "chart_refocus")


@register_op("synth_interleaved")
class SynthInterleaved(SynthSourceOp):
    """Samples with two images each: the input and the image the assistant produces while
    reasoning (reassembled jigsaw, maze with the route in red, boxed target, refocused chart).

    Args:
        tasks: which of jigsaw, maze, visual_search, chart_refocus, in equal shares
        num_samples: how many samples to make
        seed: the same seed gives byte-identical samples
        difficulty: task size/complexity level (1-5)
        max_difficulty: when set, each sample draws its level in difficulty..max_difficulty
    """

    def __init__(
        self,
        tasks: list[str] = list(INTERLEAVED_TASKS),  # noqa: B006 - validated, never mutated
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: int = 2,
        max_difficulty: int | None = None,
    ) -> None:
        unknown = sorted(set(tasks) - set(INTERLEAVED_TASKS))
        if unknown:
            raise ConfigError(
                f"synth_interleaved: unknown task(s) {unknown}; known: {list(INTERLEAVED_TASKS)}"
            )
        self.tasks = list(tasks)
        self._configure({t: 1.0 for t in tasks}, num_samples, seed, difficulty, max_difficulty)
