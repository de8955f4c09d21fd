"""edit_object_verify on hand-made pairs whose geometric edit is known (a red square added,
removed, grown, moved, or left alone), with a detector stand-in that finds red squares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.imagegen.edit_object_verify import EditObjectVerify
from mmrecipe.sample import ImageRef, Sample


class RedBlobDetector:
    """Labels every connected red blob 'square' (the label the op prompts with, if asked)."""

    name = "det"
    model = "red-blobs"
    capabilities = frozenset({"detection"})

    def __init__(self) -> None:
        self.calls: list[list[list[str]]] = []

    def detect(self, images: list[Any], labels: Any = None, threshold: Any = None) -> list:
        self.calls.append([list(x) for x in labels])
        out = []
        for im, vocab in zip(images, labels, strict=True):
            a = np.asarray(im, int)
            red = (a[..., 0] > 150) & (a[..., 1] < 80) & (a[..., 2] < 80)
            lab, _ = ndimage.label(red)
            dets = []
            for sl in ndimage.find_objects(lab):
                ys, xs = sl
                box = [xs.start, ys.start, xs.stop, ys.stop]
                if "square" in vocab:
                    dets.append({"label": "square", "score": 0.9, "box": box})
            out.append(dets)
        return out


def _scene(*squares: tuple[int, int, int]) -> Image.Image:
    im = Image.new("RGB", (100, 80), (40, 120, 40))
    draw = ImageDraw.Draw(im)
    for x, y, side in squares:
        draw.rectangle((x, y, x + side - 1, y + side - 1), fill=(220, 20, 20))
    return im


def _sample(tmp: Path, name: str, kind: str, src: Image.Image, edit: Image.Image) -> Sample:
    src.save(tmp / f"{name}-src.png")
    edit.save(tmp / f"{name}-edit.png")
    return Sample(
        id=name,
        images=[ImageRef(str(tmp / f"{name}-src.png")), ImageRef(str(tmp / f"{name}-edit.png"))],
        fields={"source_image": 0, "edited_image": 1, "edit_type": kind, "edit_target": "square"},
    )


def _op(tmp: Path) -> tuple[EditObjectVerify, RedBlobDetector]:
    op = EditObjectVerify(backend="det")
    op.step_name = "geometry"
    ctx = OpContext(run_dir=tmp)
    det = RedBlobDetector()
    ctx._backends["det"] = det
    op.setup(ctx)
    return op, det


def test_each_geometric_edit_is_kept_only_when_it_happened(tmp_path: Path) -> None:
    op, det = _op(tmp_path)
    one = _scene((10, 10, 20))
    cases = {
        "add-ok": ("add", one, _scene((10, 10, 20), (60, 40, 15))),
        "add-none": ("add", one, one.copy()),
        "remove-ok": ("remove", one, _scene()),
        "remove-none": ("remove", one, one.copy()),
        "resize-ok": ("resize", one, _scene((10, 10, 30))),
        "resize-small": ("resize", one, _scene((10, 10, 21))),
        "resize-gone": ("resize", one, _scene()),
        "move-ok": ("relocate", one, _scene((60, 40, 20))),
        "move-none": ("relocate", one, _scene((12, 10, 20))),
        "move-grown": ("relocate", one, _scene((50, 30, 40))),
        "recolour": ("attribute", one, _scene()),  # not a geometric type: passes unchecked
    }
    samples = [_sample(tmp_path, k, *v) for k, v in cases.items()]
    out = {s.id: s for s in op.process_batch(samples)}
    reasons = {k: (s.rejection.reason if s.rejection else None) for k, s in out.items()}
    assert reasons == {
        "add-ok": None,
        "add-none": "not_added",
        "remove-ok": None,
        "remove-none": "not_removed",
        "resize-ok": None,
        "resize-small": "not_resized",
        "resize-gone": "target_not_found",
        "move-ok": None,
        "move-none": "not_moved",
        "move-grown": "resized_not_moved",
        "recolour": None,
    }
    assert out["resize-ok"].scores["edit_area_ratio"] == pytest.approx(2.25)
    assert out["move-ok"].scores["edit_centre_shift"] == pytest.approx(
        np.hypot(50, 30) / np.hypot(100, 80), abs=1e-4
    )
    assert "edit_target_before" not in out["recolour"].scores
    assert det.calls and all(v == ["square"] for v in det.calls[0])  # prompted with the target
    # the thresholds are separate from the scores: a looser one keeps the small resize
    op.min_area_ratio = 1.05
    assert op.keep(out["resize-small"]) is None


def test_missing_target_and_bad_settings(tmp_path: Path) -> None:
    op, _ = _op(tmp_path)
    s = _sample(tmp_path, "anon", "add", _scene(), _scene((1, 1, 5)))
    s.fields["edit_target"] = " "
    op.process_batch([s])
    assert s.rejection is not None and s.rejection.reason == "no_target"
    with pytest.raises(ConfigError):
        EditObjectVerify(backend="det", min_area_ratio=1.0)
    with pytest.raises(ConfigError):
        EditObjectVerify(backend="det", min_shift=0.0)
