"""Map op: ThinkMorph's jigsaw cut from each input photo (the user's images as the source)."""

from __future__ import annotations

import hashlib
import random

from PIL import Image

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.synthesis.visual_search_traces import open_photo
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.synth.jigsaw import JigsawGenerator
from mmrecipe.synth.source import save_png
from mmrecipe.synth.source_op import SYNTH_WRITES


@register_op("jigsaw_traces")
class JigsawTraces(MapOp):
    """Cut each sample's photo into a shuffled, numbered grid (center-cropped to the grid's
    shape, scaled to 112-pixel tiles); the assistant produces the reassembled photo and reads
    the piece order off it. The sample's images become [puzzle, reassembled]; the answer is
    re-derivable from ``fields.ground_truth`` (``synth_verify`` checks it).

    Args:
        difficulty: grid size, 1 (2x2) to 5 (4x4)
        seed: a sample's shuffle depends only on (seed, sample id, difficulty)
    """

    reads = ("images",)
    writes = SYNTH_WRITES

    def __init__(self, difficulty: int = 2, seed: int = 0) -> None:
        if difficulty not in range(1, 6):
            raise ConfigError(f"jigsaw_traces: difficulty must be 1-5, got {difficulty}")
        self.difficulty = difficulty
        self.seed = seed
        self.generator = JigsawGenerator()

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None, "setup() must run before process_batch()"
        for sample in samples:
            if not sample.rejected:
                self._one(sample)
        return samples

    def _one(self, sample: Sample) -> None:
        if not sample.images:
            sample.reject(self.name, "no_image", "the sample has no image")
            return
        ref = sample.images[0]
        try:
            photo = open_photo(ref.path)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            sample.reject(self.name, "unreadable_image", f"{ref.path}: {exc}")
            return
        key = f"{self.seed}:{sample.id}:{self.difficulty}"
        rng = random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
        source = {"sha256": ref.sha256, "width": photo.width, "height": photo.height}
        item = self.generator.make_on(photo, source, rng, self.difficulty)
        assert self.ctx is not None
        folder = self.ctx.image_dir / "synth" / "jigsaw"
        puzzle = save_png(item.images[0], folder / f"{sample.id}-puzzle.png")
        solved = save_png(item.images[1], folder / f"{sample.id}-solved.png")
        sample.images = [puzzle, solved]
        sample.messages = item.messages
        sample.fields.update(
            generator="jigsaw",
            task=item.task,
            answer=item.answer,
            ground_truth=item.ground_truth,
            difficulty=self.difficulty,
            seed=self.seed,
            domain="interleaved/jigsaw",
            **item.extra,
        )
