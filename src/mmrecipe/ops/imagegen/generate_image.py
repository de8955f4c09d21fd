"""Text-to-image: one image per sample from a prompt filled from its fields."""

from __future__ import annotations

from mmrecipe.backends.imagegen.base import ImageRequest
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.imagegen.opsupport import ImageMaker
from mmrecipe.ops.imagegen.support import sample_seed
from mmrecipe.prompted import IMAGE, fill_template, template_fields
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("generate_image")
class GenerateImage(ImageMaker, MapOp):
    """Make an image from ``prompt`` (``{field}`` placeholders filled from the sample) with a
    ``text_to_image`` backend, save it as ``images/<step>/<sample id>.png``, append it to
    ``sample.images`` and store its index in ``fields.<output_field>``. The seed of each
    sample's noise is derived from ``seed``, the sample id and the step: same recipe, same
    images. With ``as_turn`` the sample gets a user turn (``turn_prompt``, filled the same way)
    and an assistant turn holding the image (ShareGPT-4o-Image: the image is the answer).

    Args:
        backend: a ``type: diffusers`` (text-to-image pipeline) or ``openai_images`` backend
        prompt: the image prompt, e.g. "{caption}"
        output_field: where the new image's index in ``sample.images`` goes
        seed: the recipe's seed (each sample's seed derives from it)
        as_turn: append a user turn and an assistant turn with the image
        turn_prompt: the user turn's text (default: the image prompt)
        drop_inputs: the generated image becomes the sample's only image (the earlier ones,
            e.g. the photo a prompt was written from, move to ``fields.prompt_images``)
    """

    capability = "text_to_image"

    def __init__(
        self,
        backend: str,
        prompt: str = "{caption}",
        output_field: str = "generated_image",
        seed: int = 0,
        as_turn: bool = False,
        turn_prompt: str | None = None,
        drop_inputs: bool = False,
    ) -> None:
        if not prompt.strip():
            raise ConfigError("generate_image: prompt is empty")
        self.backend_name = backend
        self.prompt = prompt
        self.output_field = output_field
        self.seed = seed
        self.as_turn = as_turn
        self.turn_prompt = turn_prompt
        self.drop_inputs = drop_inputs
        fields = template_fields(prompt) + template_fields(turn_prompt or "")
        self.reads = tuple(f"fields.{f}" for f in dict.fromkeys(fields))
        writes = ["images", f"fields.{output_field}", "trace"]
        if as_turn:
            writes.append("messages")
        self.writes = tuple(writes)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        pending = []
        turns: dict[str, str] = {}
        for sample in samples:
            if sample.rejected:
                continue
            try:
                text = fill_template(self.prompt, sample.fields).strip()
                if self.as_turn:
                    turns[sample.id] = fill_template(self.turn_prompt or self.prompt, sample.fields)
            except KeyError as exc:
                sample.reject(self.name, "missing_field", f"prompt needs fields.{exc.args[0]}")
                continue
            if not text:
                sample.reject(self.name, "empty_prompt", "the filled prompt is empty")
                continue
            seed = sample_seed(self.seed, sample.id, self.name)
            pending.append(
                (sample, ImageRequest(text, seed, request_id=f"{sample.id}/{self.name}"))
            )
        for sample in self.make(pending, self.name):
            if self.drop_inputs:
                sample.fields["prompt_images"] = [ref.path for ref in sample.images[:-1]]
                sample.images = sample.images[-1:]
                sample.fields[self.output_field] = 0
            if self.as_turn:
                user = turns[sample.id].replace(IMAGE, "").strip()
                sample.messages.append({"role": "user", "content": user})
                sample.messages.append({"role": "assistant", "content": IMAGE})
        return samples
