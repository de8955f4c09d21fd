"""Embed images and/or texts with an embedder backend (CLIP, SigLIP); vectors go to ``.npy``
files in the run dir, samples keep references (not inline JSON)."""

from __future__ import annotations

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.experts.embstore import write_vectors
from mmrecipe.experts.opsupport import ExpertUser, text_reads
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("embed")
class Embed(ExpertUser, MapOp):
    """Stores ``{"file", "row", "dim"}`` references to unit float16 vectors under
    ``RUN_DIR/embeddings/<step>/`` in ``fields.<image_field>`` / ``fields.<text_field>``.
    A sample with no text to embed is rejected (``no_text``).

    Args:
        backend: a ``type: embedder`` backend
        images: embed the sample's image
        text_source: embed a text too: a field name, or "@assistant" for the last assistant turn
        image_field: where the image vector's reference goes
        text_field: where the text vector's reference goes
        image_index: which of the sample's images to embed
    """

    capability = "image_embedding"

    def __init__(
        self,
        backend: str,
        images: bool = True,
        text_source: str | None = None,
        image_field: str = "image_embedding",
        text_field: str = "text_embedding",
        image_index: int = 0,
    ) -> None:
        if not images and text_source is None:
            raise ConfigError("embed: nothing to embed: set images: true and/or text_source")
        self.backend_name = backend
        self.images = images
        self.text_source = text_source
        self.image_field = image_field
        self.text_field = text_field
        self.image_index = image_index
        self.reads = (*(("images",) if images else ()), *text_reads(text_source))
        self.writes = (
            *((f"fields.{image_field}",) if images else ()),
            *((f"fields.{text_field}",) if text_source else ()),
        )

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        if self.text_source is not None:
            from mmrecipe.backends.experts.base import require_expert

            require_expert(self.expert, "text_embedding", self.name)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None
        texts: dict[str, str] = {}
        if self.text_source is not None:
            missing = f"nothing to embed in {self.text_source}"
            texts = self.texts_of(samples, self.text_source, missing)
        if self.images:
            opened = self.open_images(samples, self.name)
            if opened:
                vectors = self.expert.embed_images([im for _, im in opened])
                ids = [s.id for s, _ in opened]
                refs = write_vectors(self.ctx.run_dir, self.name, "image", ids, vectors)
                for (sample, _), ref in zip(opened, refs, strict=True):
                    sample.fields[self.image_field] = ref
        live = [s for s in samples if not s.rejected and s.id in texts]
        if live:
            vectors = self.expert.embed_texts([texts[s.id] for s in live])
            refs = write_vectors(self.ctx.run_dir, self.name, "text", [s.id for s in live], vectors)
            for sample, ref in zip(live, refs, strict=True):
                sample.fields[self.text_field] = ref
        return samples
