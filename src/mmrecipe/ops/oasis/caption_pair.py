"""Pair a caption with a detailed-description instruction (Oasis caption recycling, step 3)."""

from __future__ import annotations

import hashlib

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.oasis.prompts import DETAILED_DESCRIPTION_INSTRUCTIONS
from mmrecipe.prompted import user_content
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("caption_pair")
class CaptionPair(MapOp):
    """Turn a caption into a training sample: a detailed-description instruction drawn from a
    list (deterministically per sample id and seed) as the user turn, the caption as the
    answer. The sample is tagged ``fields.kind = "caption"``, so analysis and mixtures can tell
    recycled captions from hooked instructions.

    Args:
        field: the field holding the caption
        instructions: the instructions to draw from (default: mmrecipe's list)
        seed: changes which instruction each sample draws
        kind: the value written to ``fields.kind``
    """

    reads = ("images",)
    writes = ("messages", "fields.instruction", "fields.kind")

    def __init__(
        self,
        field: str = "caption",
        instructions: list[str] | None = None,
        seed: int = 0,
        kind: str = "caption",
    ) -> None:
        self.instructions = list(instructions or DETAILED_DESCRIPTION_INSTRUCTIONS)
        if not all(isinstance(i, str) and i.strip() for i in self.instructions):
            raise ConfigError("caption_pair: instructions must be non-empty strings")
        self.field = field
        self.seed = seed
        self.kind = kind
        self.reads = ("images", f"fields.{field}")

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            caption = sample.fields.get(self.field)
            if not isinstance(caption, str) or not caption.strip():
                sample.reject(self.name, "missing_field", f"fields.{self.field} is empty")
                continue
            instruction = self.draw(sample.id)
            sample.fields["instruction"] = instruction
            sample.fields["kind"] = self.kind
            sample.messages = [
                {"role": "user", "content": user_content(instruction, len(sample.images))},
                {"role": "assistant", "content": caption.strip()},
            ]
        return samples

    def draw(self, sample_id: str) -> str:
        """The instruction for ``sample_id``: a stable hash, not the process's random state."""
        digest = hashlib.sha256(f"{self.seed}\x1f{sample_id}".encode()).digest()
        return self.instructions[int.from_bytes(digest[:8], "big") % len(self.instructions)]
