"""An LLM writes edit instructions for an image from its caption and detected objects
(ImgEdit's instruction stage); one sample per instruction comes out."""

from __future__ import annotations

from typing import Any

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.experts.geometry import position
from mmrecipe.experts.opsupport import regions_of
from mmrecipe.ops.base import ExpandOp
from mmrecipe.ops.imagegen.asking import Asker
from mmrecipe.ops.imagegen.instructions import EDIT_TYPES, parse_edit_lines
from mmrecipe.prompted import template_fields
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

DEFAULT_PROMPT = """\
You write instructions for an image-editing model. Here is an image's description and the
objects a detector found in it.

Description: {caption}
Objects: {objects}

Write {n} different, concrete, feasible edit instructions, one per line, each of one of these
types: {types}. First name the object the edit is about (for add: the object to add; none for
style and background edits), then the instruction, then the image's description as it would
be after the edit. Use exactly this format, nothing else:
TYPE | target object | instruction | description after the edit"""


def objects_text(objects: list[dict[str, Any]], width: int | None, height: int | None) -> str:
    """``dog (left), cup (top right), ...`` from detections (positions when the size is known)."""
    parts = []
    for obj in objects[:30]:
        label = str(obj.get("label", "object"))
        if width and height:
            label += f" ({position(obj['box'], width, height)})"
        parts.append(label)
    return ", ".join(parts) or "none found"


@register_op("edit_instructions")
class EditInstructions(Asker, ExpandOp):
    """Asks an LLM for ``n`` edit instructions per image and emits one sample per instruction
    (ids ``<id>-e0``, ``<id>-e1``, ...) with ``fields.instruction``, ``fields.edit_type``,
    ``fields.edit_target`` (the object the VLM names as the edit's target: a detector grounds
    it next, not a fixed label list; "" for whole-image edits),
    ``fields.source_caption`` (the caption) and ``fields.target_caption`` (the description
    after the edit, for edit_verify's CLIP direction). The answer must hold lines
    ``TYPE | instruction | description after the edit``; other lines are skipped.

    The prompt's ``{caption}``, ``{objects}`` (detections as "label (position)"), ``{types}``,
    ``{n}`` and ``{expression}`` (a referred object, see refer_object) are filled by the op;
    other ``{field}`` placeholders come from the sample's fields.

    Rejects: ``unparseable_instructions`` (raw answer in the detail), ``missing_field``,
    ``model_error``, ``empty_output``.

    Args:
        backend: a chat backend (an LLM; with use_images a VLM)
        prompt: the prompt template
        n: instructions per image (ImgEdit: one per edit type it samples)
        types: the allowed edit types (ImgEdit's categories as the seed lists them: add,
            remove, replace, attribute, style, background, relocate, multi_object; RefEdit's
            resize; multi-turn chains are not covered here)
        caption_field: the image's description
        objects_field: detections (``detect_objects``) to list in the prompt (None: none)
        expression_field: a referring expression for ``{expression}`` (refer_object's)
        use_images: send the image too (the backend must have vision)
        temperature: sampling temperature
        max_tokens: longest answer
    """

    def __init__(
        self,
        backend: str,
        prompt: str = DEFAULT_PROMPT,
        n: int = 3,
        types: list[str] | None = None,
        caption_field: str = "caption",
        objects_field: str | None = "objects",
        expression_field: str | None = None,
        use_images: bool = False,
        temperature: float = 0.7,
        max_tokens: int = 512,
    ) -> None:
        if n < 1:
            raise ConfigError("edit_instructions: n must be >= 1")
        chosen = tuple(types or EDIT_TYPES)
        unknown = [t for t in chosen if t not in EDIT_TYPES]
        if unknown:
            raise ConfigError(
                f"edit_instructions: unknown edit type(s) {unknown}; known: {', '.join(EDIT_TYPES)}"
            )
        self.backend_name = backend
        self.prompt = prompt
        self.n = n
        self.types = chosen
        self.caption_field = caption_field
        self.objects_field = objects_field
        self.expression_field = expression_field
        self.use_images = use_images
        self.params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        own = {"caption", "objects", "types", "n", "expression"}
        reads = ["images"] if use_images else []
        reads.append(f"fields.{caption_field}")
        if objects_field:
            reads.append(f"fields.{objects_field}")
        if expression_field:
            reads.append(f"fields.{expression_field}")
        reads += [f"fields.{f}" for f in template_fields(prompt) if f not in own]
        self.reads = tuple(reads)
        self.writes = (
            "fields.instruction",
            "fields.edit_type",
            "fields.source_caption",
            "fields.target_caption",
            "fields.edit_target",
            "trace",
        )

    def _values(self, sample: Sample) -> dict[str, Any] | None:
        caption = sample.fields.get(self.caption_field)
        if isinstance(caption, list):
            caption = caption[0] if caption else None
        if not isinstance(caption, str) or not caption.strip():
            sample.reject(self.name, "missing_field", f"no caption in fields.{self.caption_field}")
            return None
        values: dict[str, Any] = {
            "caption": caption.strip(),
            "types": ", ".join(self.types),
            "n": self.n,
        }
        if self.objects_field:
            ref = sample.images[0] if sample.images else None
            values["objects"] = objects_text(
                regions_of(sample, self.objects_field),
                ref.width if ref else None,
                ref.height if ref else None,
            )
        if self.expression_field:
            values["expression"] = sample.fields.get(self.expression_field)
        return values

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        items = []
        for sample in samples:
            if not sample.rejected:
                values = self._values(sample)
                if values is not None:
                    items.append((sample, values))
        answers = dict((id(s), t) for s, t in await self.ask(items, self.name))
        values_of = {id(s): v for s, v in items}
        out: list[Sample] = []
        for sample in samples:
            if sample.rejected or id(sample) not in answers:
                out.append(sample)
                continue
            text = answers[id(sample)]
            parsed = parse_edit_lines(text, self.types, self.n)
            if not parsed:
                out.append(sample.reject(self.name, "unparseable_instructions", text.strip()[:500]))
                continue
            for i, edit in enumerate(parsed):
                child = sample.child(f"e{i}")
                child.fields.update(
                    instruction=edit.instruction,
                    edit_type=edit.edit_type,
                    source_caption=values_of[id(sample)]["caption"],
                    target_caption=edit.target_caption,
                    edit_target=edit.target,
                    parent_id=sample.id,
                )
                out.append(child)
        return out
