"""Florence-2's data engine, module 2: refine the experts' agreed labels iteratively until they
stop changing, with a cap on the rounds."""

from __future__ import annotations

from typing import Any

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.experts.opsupport import ExpertUser
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.experts.consensus import item_label, label_consensus, norm_label
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("consensus_refine")
class ConsensusRefine(ExpertUser, MapOp):
    """Starting from agreed labels (``labels_field``, an ``expert_consensus`` output), each
    round prompts the open-vocabulary ``backend`` with the current labels, adds its detections
    as one more vote beside the fixed experts' answers (``sources``), and keeps the labels at
    least ``min_agree`` of them name. Rounds stop when the label set is stable (a round
    changes nothing) or after ``max_rounds``. Stores the final labels in
    ``fields.<output_field>`` (``{label, votes, sources}``), the last round's detections of
    those labels in ``fields.<output_field>_objects``, ``scores.<output_field>_rounds`` and
    ``scores.<output_field>_stable`` (1 stable, 0 stopped by the cap). Rejects:
    ``unreadable_image``, ``no_consensus`` (nothing agreed, with ``min_items``).

    Args:
        backend: an open-vocabulary ``type: detector`` backend
        labels_field: the agreed labels to start from
        sources: the other experts' fields (labels, tags or detections), fixed across rounds
        min_agree: votes a label needs (the refining detector's included)
        max_rounds: the cap on refinement rounds
        synonyms: a map of names to one canonical name
        output_field: where the refined labels go
        min_items: reject samples with fewer refined labels (``no_consensus``); 0 keeps all
    """

    capability = "detection"

    def __init__(
        self,
        backend: str,
        labels_field: str,
        sources: list[str],
        min_agree: int = 2,
        max_rounds: int = 3,
        synonyms: dict[str, str] | None = None,
        output_field: str = "refined_labels",
        min_items: int = 0,
    ) -> None:
        if not sources:
            raise ConfigError("consensus_refine: sources needs the other experts' fields")
        if not 1 <= min_agree <= len(sources) + 1:
            raise ConfigError(f"consensus_refine: min_agree must be in 1..{len(sources) + 1}")
        if max_rounds < 1:
            raise ConfigError("consensus_refine: max_rounds must be at least 1")
        self.backend_name = backend
        self.labels_field = labels_field
        self.sources = list(sources)
        self.min_agree = min_agree
        self.max_rounds = max_rounds
        self.synonyms = {k.lower(): v.lower() for k, v in (synonyms or {}).items()}
        self.output_field = output_field
        self.min_items = min_items
        self.reads = ("images", f"fields.{labels_field}", *(f"fields.{s}" for s in sources))
        self.writes = (
            f"fields.{output_field}",
            f"fields.{output_field}_objects",
            f"scores.{output_field}_rounds",
            f"scores.{output_field}_stable",
        )

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.setup_expert(ctx, self.name)
        require = getattr(self.expert, "capabilities", frozenset())
        if "open_vocabulary" not in require:
            raise ConfigError(f"{self.name}: backend {self.backend_name!r} is not open-vocabulary")

    def _labels(self, items: list[Any]) -> list[str]:
        return list(
            dict.fromkeys(n for n in (norm_label(item_label(i), self.synonyms) for i in items) if n)
        )

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample, image in self.open_images(samples, self.name):
            fixed = {s: list(sample.fields.get(s) or []) for s in self.sources}
            labels = self._labels(list(sample.fields.get(self.labels_field) or []))
            kept: list[dict[str, Any]] = []
            detections: list[dict[str, Any]] = []
            stable = False
            rounds = 0
            while rounds < self.max_rounds and labels:
                rounds += 1
                detections = self.expert.detect([image], [labels])[0]
                kept = label_consensus(
                    {**fixed, "_refine": detections}, self.min_agree, self.synonyms
                )
                new = [k["label"] for k in kept]
                if set(new) == set(labels):
                    stable = True
                    break
                labels = new
            final = {k["label"] for k in kept}
            sample.fields[self.output_field] = kept
            sample.fields[f"{self.output_field}_objects"] = [
                d for d in detections if norm_label(d.get("label", ""), self.synonyms) in final
            ]
            sample.scores[f"{self.output_field}_rounds"] = rounds
            sample.scores[f"{self.output_field}_stable"] = 1.0 if stable or not labels else 0.0
            if len(kept) < self.min_items:
                sample.reject(
                    self.name, "no_consensus", f"{len(kept)} refined label(s) < {self.min_items}"
                )
        return samples
