"""Edit verification on hand-made image pairs whose edits are known: a region changed, the
whole image changed, nothing changed; and edit_verify's keep decisions on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mmrecipe.context import OpContext
from mmrecipe.experts.geometry import rle_encode
from mmrecipe.ops.imagegen.edit_verify import EditVerify
from mmrecipe.ops.imagegen.support import mask_from
from mmrecipe.ops.imagegen.verify import clip_direction, cosine, pixel_change
from mmrecipe.sample import ImageRef, Sample

BOX = (20, 10, 44, 34)  # the edited object, x0 y0 x1 y1 (x1, y1 exclusive)
DRAWN = (20, 10, 43, 33)  # PIL draws rectangles with x1, y1 inclusive


def _scene() -> Image.Image:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    im = Image.fromarray(pixels)
    ImageDraw.Draw(im).rectangle(DRAWN, fill=(200, 30, 30))
    return im


def _region_edit(src: Image.Image) -> Image.Image:
    im = src.copy()
    ImageDraw.Draw(im).rectangle(DRAWN, fill=(30, 30, 200))  # the object recoloured
    return im


def _whole_edit(src: Image.Image) -> Image.Image:
    return Image.fromarray(255 - np.asarray(src))  # every pixel changed


def _noisy_copy(src: Image.Image, amplitude: int) -> Image.Image:
    rng = np.random.default_rng(1)
    noise = rng.integers(-amplitude, amplitude + 1, (48, 64, 3))
    return Image.fromarray(np.clip(np.asarray(src, int) + noise, 0, 255).astype(np.uint8))


def _box_mask() -> np.ndarray:
    mask = mask_from(list(BOX), 64, 48)
    assert mask is not None
    return mask


def test_region_edit_changes_inside_only() -> None:
    src = _scene()
    change = pixel_change(src, _region_edit(src), _box_mask())
    assert change.inside > 0.95
    assert change.outside == 0.0


def test_whole_image_edit_leaks_outside_the_region() -> None:
    src = _scene()
    change = pixel_change(src, _whole_edit(src), _box_mask())
    assert change.inside > 0.5 and change.outside > 0.5


def test_tolerance_absorbs_round_trip_noise() -> None:
    src = _scene()
    assert pixel_change(src, _noisy_copy(src, 6), tolerance=16).inside == 0.0
    assert pixel_change(src, _noisy_copy(src, 40), tolerance=16).inside > 0.3


def test_size_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="sizes differ"):
        pixel_change(_scene(), Image.new("RGB", (10, 10)))


def test_mask_forms_agree() -> None:
    box = _box_mask()
    assert box.sum() == (44 - 20) * (34 - 10)
    rle = rle_encode(box)
    assert (mask_from(rle, 64, 48) == box).all()
    assert (mask_from({"mask": rle, "box": [0, 0, 1, 1]}, 64, 48) == box).all()
    assert (mask_from({"box": list(BOX)}, 64, 48) == box).all()
    assert mask_from(rle, 32, 32) is None  # another image's mask
    assert mask_from("nonsense", 64, 48) is None


def test_clip_direction() -> None:
    img, txt = np.array([1.0, 0, 0]), np.array([0.0, 1, 0])
    x, y, z = np.eye(3)
    # the image moved the way the caption moved
    assert clip_direction(img, img + z, txt, txt + 2 * z) == pytest.approx(1.0)
    # the opposite way
    assert clip_direction(img, img - z, txt, txt + z) == pytest.approx(-1.0)
    # an unrelated change
    assert clip_direction(img, img + y, txt, txt + x) == pytest.approx(0.0)
    # no change at all: nothing to compare
    assert clip_direction(img, img, txt, txt + x) == 0.0
    assert cosine(np.array([1.0, 1]), np.array([2.0, 2])) == pytest.approx(1.0)


def _sample(tmp_path: Path, name: str, edited: Image.Image, region: object) -> Sample:
    src_path, edit_path = tmp_path / f"{name}-src.png", tmp_path / f"{name}-edit.png"
    _scene().save(src_path)
    edited.save(edit_path)
    return Sample(
        id=name,
        images=[ImageRef(str(src_path)), ImageRef(str(edit_path))],
        fields={"source_image": 0, "edited_image": 1, "target": region},
    )


def test_edit_verify_keeps_the_region_edit_only(tmp_path: Path) -> None:
    src = _scene()
    op = EditVerify(region_field="target", source_caption_field=None, target_caption_field=None)
    op.step_name = "verify"
    op.setup(OpContext(run_dir=tmp_path))
    region = {"label": "box", "box": list(BOX), "mask": rle_encode(_box_mask())}
    samples = [
        _sample(tmp_path, "region", _region_edit(src), region),
        _sample(tmp_path, "whole", _whole_edit(src), region),
        _sample(tmp_path, "nothing", src.copy(), region),
        _sample(tmp_path, "no-region", _region_edit(src), None),
    ]
    samples[3].fields.pop("target")
    out = {s.id: s for s in op.process_batch(samples)}
    assert out["region"].rejection is None
    assert out["region"].scores["edit_outside_changed"] == 0.0
    assert out["whole"].rejection is not None and out["whole"].rejection.reason == "edit_leaked"
    assert out["nothing"].rejection is not None and out["nothing"].rejection.reason == "no_edit"
    assert out["no-region"].rejection is not None
    assert out["no-region"].rejection.reason == "no_region"
    # thresholds are separate from the scores: loosening keeps the leaking edit
    op.max_outside_changed = 1.0
    out["whole"].rejection = None
    assert op.keep(out["whole"]) is None


def test_edit_verify_without_region_needs_a_change(tmp_path: Path) -> None:
    src = _scene()
    op = EditVerify(source_caption_field=None, target_caption_field=None)
    op.step_name = "verify"
    op.setup(OpContext(run_dir=tmp_path))
    whole = _sample(tmp_path, "whole", _whole_edit(src), None)
    same = _sample(tmp_path, "same", _noisy_copy(src, 4), None)
    missing = _sample(tmp_path, "missing", src, None)
    missing.fields["edited_image"] = 5
    op.process_batch([whole, same, missing])
    assert whole.rejection is None and whole.scores["edit_changed"] > 0.9
    assert same.rejection is not None and same.rejection.reason == "no_edit"
    assert missing.rejection is not None and missing.rejection.reason == "no_edited_image"


def test_per_type_region_check(tmp_path) -> None:
    """Local edits are checked outside their target's masks (a union of regions); style and
    background edits are not; a target the detector could not find rejects the sample."""
    import numpy as np
    from PIL import Image

    from mmrecipe.registry import build_op
    from mmrecipe.sample import ImageRef, Sample

    src = np.zeros((20, 20, 3), dtype=np.uint8)
    edited = src.copy()
    edited[:, :10] = 200  # the left half changed
    Image.fromarray(src).save(tmp_path / "s.png")
    Image.fromarray(edited).save(tmp_path / "e.png")
    refs = [ImageRef(path=str(tmp_path / "s.png")), ImageRef(path=str(tmp_path / "e.png"))]
    left = [{"box": [0, 0, 5, 20]}, {"box": [5, 0, 10, 20]}]  # two regions: their union

    def sample(sid: str, kind: str, regions) -> Sample:
        fields = {
            "source_image": 0,
            "edited_image": 1,
            "edit_type": kind,
            "target_regions": regions,
        }
        return Sample(id=sid, images=list(refs), fields=fields)

    op = build_op(
        "edit_verify",
        "verify",
        {"region_field": "target_regions", "global_types": ["style", "background"],
         "source_caption_field": None, "target_caption_field": None,
         "min_image_similarity": None, "min_clip_direction": None},
    )  # fmt: skip
    out = {
        s.id: s
        for s in op.process_batch(
            [
                sample("inside", "replace", left),
                sample("leaked", "attribute", [{"box": [0, 0, 5, 20]}]),
                sample("style", "style", []),
                sample("lost", "remove", []),
            ]
        )
    }
    assert out["inside"].rejection is None and out["inside"].scores["edit_outside_changed"] == 0
    assert out["leaked"].rejection.reason == "edit_leaked"
    assert out["style"].rejection is None and "edit_outside_changed" not in out["style"].scores
    assert out["lost"].rejection.reason == "target_not_found"
