"""Keep what several experts agree on (Florence-2's data engine; Image Textualization's
cross-checks): labels, boxes (matched by IoU) or OCR lines from two or more fields."""

from __future__ import annotations

from typing import Literal

from mmrecipe.errors import ConfigError
from mmrecipe.experts.geometry import to_xywh
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.experts.consensus import box_consensus, label_consensus, text_consensus
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("expert_consensus")
class ExpertConsensus(MapOp):
    """Stores the agreed items in ``fields.<output_field>``, each with ``votes`` and
    ``sources``, and ``scores.<output_field>_agreement`` (kept items' mean votes / number of
    sources; 0 when nothing was agreed). A later ``detect_objects`` prompted with this field
    (``labels_field``), then another consensus, is a refinement round.

    Args:
        sources: the fields holding each expert's answer (two or more)
        kind: labels (tags, class names), boxes (dicts with box and label) or text (OCR lines)
        min_agree: keep items at least this many sources agree on
        iou: boxes: the IoU at which two experts' boxes are the same object
        match_labels: boxes: only boxes with the same (normalized) label can match
        similarity: text: the difflib ratio at which two lines are the same line
        synonyms: labels: a map of names to one canonical name ("puppy": "dog")
        output_field: where the agreed items go
        coco_field: boxes: also write the agreed boxes here in COCO's convention
            (``{"bbox": [x, y, w, h], "category"}``; "boxes" is what the coco writer reads)
        min_items: reject samples with fewer agreed items (``no_consensus``); 0 keeps all
    """

    def __init__(
        self,
        sources: list[str],
        kind: Literal["labels", "boxes", "text"] = "labels",
        min_agree: int = 2,
        iou: float = 0.5,
        match_labels: bool = True,
        similarity: float = 0.8,
        synonyms: dict[str, str] | None = None,
        output_field: str = "consensus",
        coco_field: str | None = None,
        min_items: int = 0,
    ) -> None:
        if coco_field and kind != "boxes":
            raise ConfigError("expert_consensus: coco_field needs kind: boxes")
        if len(sources) < 2:
            raise ConfigError("expert_consensus: sources needs two or more fields")
        if not 1 <= min_agree <= len(sources):
            raise ConfigError(f"expert_consensus: min_agree must be in 1..{len(sources)}")
        self.sources = list(sources)
        self.kind = kind
        self.min_agree = min_agree
        self.iou = iou
        self.match_labels = match_labels
        self.similarity = similarity
        self.synonyms = {k.lower(): v.lower() for k, v in (synonyms or {}).items()}
        self.output_field = output_field
        self.min_items = min_items
        self.coco_field = coco_field
        self.reads = tuple(f"fields.{s}" for s in sources)
        self.writes = (
            f"fields.{output_field}",
            f"scores.{output_field}_agreement",
            *((f"fields.{coco_field}",) if coco_field else ()),
        )

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            answers = {}
            for field in self.sources:
                value = sample.fields.get(field)
                if value is None:
                    value = []
                if self.kind != "text" and not isinstance(value, list):
                    sample.reject(self.name, "bad_expert_output", f"fields.{field} is not a list")
                    break
                answers[field] = value
            else:
                self._agree(sample, answers)
        return samples

    def _agree(self, sample: Sample, answers: dict) -> None:
        if self.kind == "labels":
            kept = label_consensus(answers, self.min_agree, self.synonyms)
        elif self.kind == "boxes":
            kept = box_consensus(
                answers, self.min_agree, self.iou, self.match_labels, self.synonyms
            )
            if self.coco_field:
                sample.fields[self.coco_field] = [
                    {
                        "bbox": to_xywh(k["box"]),
                        "category": k["label"] or "object",
                        "votes": k["votes"],
                    }
                    for k in kept
                ]
        else:
            kept = text_consensus(answers, self.min_agree, self.similarity)
        sample.fields[self.output_field] = kept
        agreement = sum(k["votes"] for k in kept) / (len(kept) * len(self.sources)) if kept else 0.0
        sample.scores[f"{self.output_field}_agreement"] = round(agreement, 4)
        if len(kept) < self.min_items:
            sample.reject(
                self.name, "no_consensus", f"{len(kept)} agreed item(s) < {self.min_items}"
            )
