"""Keep an add / remove / resize / relocate edit only if a detector sees it happen: these
edits move or grow the object, so a pixel check inside its old mask cannot tell (RefEdit's
geometric edit types; the detector check before/after is our own verification)."""

from __future__ import annotations

import math
from typing import Any

from mmrecipe.backends.inputs import RequestError
from mmrecipe.errors import ConfigError
from mmrecipe.experts.opsupport import open_rgb
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.imagegen.support import image_index_field
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

CHECKED_TYPES = ("add", "remove", "resize", "relocate")


def _best_box(found: list[dict[str, Any]], label: str) -> list[float] | None:
    """The highest-scoring box of ``label`` (case-insensitive), or None."""
    boxes = [d for d in found if str(d.get("label", "")).strip().lower() == label.lower()]
    if not boxes:
        return None
    return [float(v) for v in max(boxes, key=lambda d: float(d.get("score", 0.0)))["box"]]


def _count(found: list[dict[str, Any]], label: str) -> int:
    return sum(1 for d in found if str(d.get("label", "")).strip().lower() == label.lower())


def _area(box: list[float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


@register_op("edit_object_verify")
class EditObjectVerify(FilterOp):
    """Detects ``fields.<target_field>`` in the source and the edited image and checks the
    edit type (``fields.edit_type``): ``add``: more boxes of the target after than before
    (``not_added``); ``remove``: fewer (``not_removed``); ``resize``: the target's best box
    grew or shrank by at least ``min_area_ratio`` (``not_resized``); ``relocate``: its centre
    moved by at least ``min_shift`` of the image diagonal (``not_moved``) while its area stayed
    within ``max_relocate_area_ratio`` (``resized_not_moved``). Resize and relocate need the
    target in both images (``target_not_found``). Other types pass unchecked (edit_verify's
    pixel checks cover them); a sample without a target or type rejects (``no_target``).

    Scores (stored, re-thresholdable): ``edit_target_before``, ``edit_target_after`` (box
    counts), ``edit_area_ratio`` (after / before area of the best box), ``edit_centre_shift``
    (centre distance / image diagonal).

    Args:
        backend: a ``type: detector`` backend (open vocabulary: it is prompted with the target)
        target_field: the field naming the edited object (edit_instructions' ``edit_target``,
            or a region with a ``label``: refer_object's ``target``)
        edited_field: the field holding the edited image's index (edit_image's output_field)
        source_field: the field holding the source image's index
        threshold: minimum box score (None: the backend's)
        min_area_ratio: a resize changes the area by this factor at least (either way)
        min_shift: a relocation moves the centre by this fraction of the diagonal at least
        max_relocate_area_ratio: a relocation keeps the area within this factor
    """

    def __init__(
        self,
        backend: str,
        target_field: str = "edit_target",
        edited_field: str = "edited_image",
        source_field: str = "source_image",
        threshold: float | None = None,
        min_area_ratio: float = 1.3,
        min_shift: float = 0.1,
        max_relocate_area_ratio: float = 2.0,
    ) -> None:
        if min_area_ratio <= 1.0 or max_relocate_area_ratio <= 1.0:
            raise ConfigError("edit_object_verify: area ratios must be > 1")
        if not 0.0 < min_shift < 1.0:
            raise ConfigError("edit_object_verify: min_shift must be within (0, 1)")
        self.backend_name = backend
        self.target_field = target_field
        self.edited_field = edited_field
        self.source_field = source_field
        self.threshold = threshold
        self.min_area_ratio = min_area_ratio
        self.min_shift = min_shift
        self.max_relocate_area_ratio = max_relocate_area_ratio
        self.reads = (
            "images",
            "fields.edit_type",
            f"fields.{target_field}",
            f"fields.{edited_field}",
            f"fields.{source_field}",
        )
        self.writes = (
            "scores.edit_target_before",
            "scores.edit_target_after",
            "scores.edit_area_ratio",
            "scores.edit_centre_shift",
        )
        self.detector: Any = None

    def setup(self, ctx: Any) -> None:
        super().setup(ctx)
        from mmrecipe.backends.experts.base import require_expert

        self.detector = ctx.backend(self.backend_name)
        require_expert(self.detector, "detection", self.name)

    def score(self, samples: list[Sample]) -> None:
        todo: list[tuple[Sample, str, Any, Any]] = []
        for sample in samples:
            if sample.rejected or sample.fields.get("edit_type") not in CHECKED_TYPES:
                continue
            target = sample.fields.get(self.target_field)
            if isinstance(target, dict):  # a region (refer_object's target): its label
                target = target.get("label")
            if not isinstance(target, str) or not target.strip():
                sample.reject(self.name, "no_target", f"fields.{self.target_field} is empty")
                continue
            edited = image_index_field(sample, self.edited_field)
            if edited is None:
                sample.reject(
                    self.name, "no_edited_image", f"fields.{self.edited_field} names no image"
                )
                continue
            source = image_index_field(sample, self.source_field)
            try:
                src = open_rgb(sample.images[source if source is not None else 0])
                edit = open_rgb(sample.images[edited])
            except RequestError as exc:
                sample.reject(self.name, "unreadable_image", str(exc))
                continue
            todo.append((sample, target.strip(), src, edit))
        if not todo:
            return
        images = [im for _, _, s, e in todo for im in (s, e)]
        labels = [[t] for _, t, _, _ in todo for _ in (0, 1)]
        found = self.detector.detect(images, labels, self.threshold)
        for i, (sample, target, src, _) in enumerate(todo):
            before, after = found[2 * i], found[2 * i + 1]
            sample.scores["edit_target_before"] = _count(before, target)
            sample.scores["edit_target_after"] = _count(after, target)
            a, b = _best_box(before, target), _best_box(after, target)
            if a is None or b is None or _area(a) <= 0:
                continue
            sample.scores["edit_area_ratio"] = round(_area(b) / _area(a), 5)
            shift = math.dist(
                ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
            )
            sample.scores["edit_centre_shift"] = round(shift / math.hypot(*src.size), 5)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        kind = sample.fields.get("edit_type")
        if kind not in CHECKED_TYPES:
            return None
        s = sample.scores
        before, after = s.get("edit_target_before"), s.get("edit_target_after")
        if before is None or after is None:
            return "no_score"
        if kind == "add":
            return (
                None if after > before else ("not_added", f"{after} box(es) after, {before} before")
            )
        if kind == "remove":
            return (
                None
                if after < before
                else ("not_removed", f"{after} box(es) after, {before} before")
            )
        ratio, shift = s.get("edit_area_ratio"), s.get("edit_centre_shift")
        if ratio is None or shift is None:
            return "target_not_found", f"the target is in {before} / {after} (before / after)"
        if kind == "resize":
            if max(ratio, 1 / ratio) < self.min_area_ratio:
                return (
                    "not_resized",
                    f"area ratio {ratio:.3f} within 1/{self.min_area_ratio}..{self.min_area_ratio}",
                )
            return None
        if shift < self.min_shift:
            return "not_moved", f"centre moved {shift:.4f} of the diagonal < {self.min_shift}"
        if max(ratio, 1 / ratio) > self.max_relocate_area_ratio:
            return (
                "resized_not_moved",
                f"area ratio {ratio:.3f} beyond {self.max_relocate_area_ratio}",
            )
        return None
