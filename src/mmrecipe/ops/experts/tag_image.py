"""Tag images (or each region's crop) with a tagger backend."""

from __future__ import annotations

from mmrecipe.context import OpContext
from mmrecipe.experts.opsupport import ExpertUser, crop, regions_of
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("tag_image")
class TagImage(ExpertUser, MapOp):
    """Stores ``[{"tag", "score"}]`` (best first) in a field; with ``regions_field``, tags each
    region's crop instead and stores them in the region (All-Seeing's region tags).

    Args:
        backend: a ``type: tagger`` backend
        top_k: at most this many tags (None: the backend's)
        threshold: minimum tag score (None: the backend's)
        output_field: where the tags go (a key of each region with regions_field)
        regions_field: a field of regions (dicts with a box) to tag one by one
        min_tags: reject samples with fewer tags (``no_tags``); 0 keeps all
        image_index: which of the sample's images to look at
    """

    capability = "tagging"

    def __init__(
        self,
        backend: str,
        top_k: int | None = None,
        threshold: float | None = None,
        output_field: str = "tags",
        regions_field: str | None = None,
        min_tags: int = 0,
        image_index: int = 0,
    ) -> None:
        self.backend_name = backend
        self.top_k = top_k
        self.threshold = threshold
        self.output_field = output_field
        self.regions_field = regions_field
        self.min_tags = min_tags
        self.image_index = image_index
        if regions_field:
            self.reads = ("images", f"fields.{regions_field}")
            self.writes = (f"fields.{regions_field}",)
        else:
            self.reads = ("images",)
            self.writes = (f"fields.{output_field}",)

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.setup_expert(ctx, self.name)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        opened = self.open_images(samples, self.name)
        if not opened:
            return samples
        if self.regions_field:
            jobs = []
            for sample, image in opened:
                for region in regions_of(sample, self.regions_field):
                    piece = crop(image, region["box"])
                    if piece is None:
                        region[self.output_field] = []
                    else:
                        jobs.append((region, piece))
            tags = self.expert.tag([p for _, p in jobs], self.top_k, self.threshold) if jobs else []
            for (region, _), found in zip(jobs, tags, strict=True):
                region[self.output_field] = found
            return samples
        tags = self.expert.tag([im for _, im in opened], self.top_k, self.threshold)
        for (sample, _), found in zip(opened, tags, strict=True):
            sample.fields[self.output_field] = found
            if len(found) < self.min_tags:
                sample.reject(self.name, "no_tags", f"{len(found)} tag(s) < {self.min_tags}")
        return samples
