"""The base of the map ops that ask one vision expert about each sample's image (or each
region's crop): a new one is its parameters plus ``ask``."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from mmrecipe.experts.opsupport import ExpertUser, crop, regions_of
from mmrecipe.ops.base import MapOp
from mmrecipe.sample import Sample


class ExpertMapOp(ExpertUser, MapOp):
    """Opens each live sample's image (an unreadable one rejects that sample), asks the
    backend once per batch, stores each answer in ``fields.<output_field>`` and rejects the
    samples whose answer ``check`` refuses. With ``regions_field`` it asks about each
    region's crop instead and stores the answer in the region (a region too small to crop gets
    ``region_default``).

    A subclass sets ``capability``, calls :meth:`init_expert` from its constructor and
    implements :meth:`ask` (and :meth:`check` when an answer can reject).
    """

    #: the answer of a region too small to crop (copied for each region)
    region_default: ClassVar[Any] = None
    regions_field: str | None = None
    output_field: str

    def init_expert(
        self,
        backend: str,
        output_field: str,
        image_index: int = 0,
        regions_field: str | None = None,
        reads: tuple[str, ...] = (),
    ) -> None:
        """Keep the parameters every expert op has and declare what it reads and writes
        (``reads``: fields it reads besides the image)."""
        self.backend_name = backend
        self.output_field = output_field
        self.image_index = image_index
        self.regions_field = regions_field
        if regions_field:
            self.reads = ("images", f"fields.{regions_field}", *reads)
            self.writes = (f"fields.{regions_field}",)
        else:
            self.reads = ("images", *reads)
            self.writes = (f"fields.{output_field}",)

    def ask(self, images: list[Any], samples: list[Sample]) -> list[Any]:
        """One answer per image (RGB PIL images; ``samples[i]`` is the one ``images[i]``
        comes from): the one call to the backend."""
        raise NotImplementedError

    def check(self, answer: Any) -> tuple[str, str] | None:
        """(reason, detail) when a sample's answer rejects it (not asked for regions)."""
        return None

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        opened = self.open_images(samples, self.name)
        if not opened:
            return samples
        if self.regions_field:
            self._ask_regions(opened, self.regions_field)
            return samples
        answers = self.ask([im for _, im in opened], [s for s, _ in opened])
        for (sample, _), answer in zip(opened, answers, strict=True):
            sample.fields[self.output_field] = answer
            refused = self.check(answer)
            if refused is not None:
                sample.reject(self.name, *refused)
        return samples

    def _ask_regions(self, opened: list[tuple[Sample, Any]], field: str) -> None:
        jobs: list[tuple[dict[str, Any], Any, Sample]] = []
        for sample, image in opened:
            for region in regions_of(sample, field):
                piece = crop(image, region["box"])
                if piece is None:
                    region[self.output_field] = copy.copy(self.region_default)
                else:
                    jobs.append((region, piece, sample))
        answers = self.ask([p for _, p, _ in jobs], [s for _, _, s in jobs]) if jobs else []
        for (region, _, _), answer in zip(jobs, answers, strict=True):
            region[self.output_field] = answer
