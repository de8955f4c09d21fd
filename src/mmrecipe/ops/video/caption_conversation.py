"""Turn a caption field into a training conversation about the sample's video."""

from __future__ import annotations

import hashlib

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

#: caption requests in the style of LLaVA-Video-178K's and ShareGPT4Video's caption data
DEFAULT_INSTRUCTIONS = [
    "Describe this video in detail.",
    "What happens in this video? Describe it from beginning to end.",
    "Give a detailed description of the video, in the order events happen.",
    "Please describe the content of this video, including scenes, objects and actions.",
]


@register_op("caption_conversation")
class CaptionConversation(MapOp):
    """Set the conversation to one user turn (``<video>`` for each video, or ``<image>``s
    already placed, then an instruction) and the caption as the answer. The instruction is
    picked from ``instructions`` by a hash of the sample id: deterministic, and spread evenly.

    Rejects: ``missing_field`` (the caption field is not set or empty).

    Args:
        field: the caption to answer with
        instructions: the user requests to pick from
    """

    writes = ("messages",)

    def __init__(self, field: str = "caption", instructions: list[str] | None = None) -> None:
        self.field = field
        self.instructions = list(instructions or DEFAULT_INSTRUCTIONS)
        if not self.instructions or not all(i.strip() for i in self.instructions):
            raise ConfigError("caption_conversation: instructions must be non-empty texts")
        self.reads = (f"fields.{field}",)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            caption = sample.fields.get(self.field)
            if not isinstance(caption, str) or not caption.strip():
                sample.reject(self.name, "missing_field", f"fields.{self.field} is not set")
                continue
            digest = hashlib.sha256(sample.id.encode("utf-8")).digest()
            instruction = self.instructions[digest[0] % len(self.instructions)]
            lead = "\n".join(["<video>"] * len(sample.videos) + ["<image>"] * len(sample.images))
            user = f"{lead}\n{instruction}" if lead else instruction
            sample.messages = [
                {"role": "user", "content": user},
                {"role": "assistant", "content": caption.strip()},
            ]
        return samples
