"""An LLM rewrites a caption into a positive paraphrase and a minimally different negative
(SPARCL's text stage)."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.experts.opsupport import sample_text, text_reads
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.imagegen.asking import Asker
from mmrecipe.ops.imagegen.instructions import parse_contrast
from mmrecipe.prompted import template_fields
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

DEFAULT_PROMPT = """\
Caption: {caption}

Rewrite this caption twice. POSITIVE: a paraphrase that describes exactly the same scene.
NEGATIVE: a caption that differs from it minimally (one attribute, one relation, one count
or one object swapped) so that it no longer describes the scene. Then name the kind of change.
Answer in exactly three lines:
POSITIVE: ...
NEGATIVE: ...
TYPE: attribute | relation | count | object"""


@register_op("contrast_captions")
class ContrastCaptions(Asker, MapOp):
    """Stores ``fields.positive_caption``, ``fields.negative_caption`` and
    ``fields.negative_type`` (attribute, relation, count, object or other) from an LLM's
    ``POSITIVE:`` / ``NEGATIVE:`` / ``TYPE:`` lines.

    Rejects: ``no_text`` (no caption), ``unparseable_captions`` (raw answer in the detail; also
    when the negative equals the positive), ``model_error``, ``empty_output``.

    Args:
        backend: a chat backend (an LLM)
        prompt: the prompt template; ``{caption}`` is the caption, other ``{field}``s are fields
        text_source: the caption: a field name, or "@assistant" for the last assistant turn
        temperature: sampling temperature
        max_tokens: longest answer
    """

    def __init__(
        self,
        backend: str,
        prompt: str = DEFAULT_PROMPT,
        text_source: str = "caption",
        temperature: float = 0.7,
        max_tokens: int = 256,
    ) -> None:
        self.backend_name = backend
        self.prompt = prompt
        self.text_source = text_source
        self.params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        extra = [f"fields.{f}" for f in template_fields(prompt) if f != "caption"]
        self.reads = (*text_reads(text_source), *extra)
        self.writes = (
            "fields.positive_caption",
            "fields.negative_caption",
            "fields.negative_type",
            "trace",
        )

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        items = []
        for sample in samples:
            if sample.rejected:
                continue
            caption = sample_text(sample, self.text_source)
            if caption is None:
                sample.reject(self.name, "no_text", f"no caption in {self.text_source}")
                continue
            items.append((sample, {"caption": caption}))
        for sample, text in await self.ask(items, self.name):
            parsed = parse_contrast(text)
            if parsed is None:
                sample.reject(self.name, "unparseable_captions", text.strip()[:500])
                continue
            sample.fields["positive_caption"] = parsed["positive"]
            sample.fields["negative_caption"] = parsed["negative"]
            sample.fields["negative_type"] = parsed["type"]
        return samples
