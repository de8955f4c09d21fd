"""``ExpertMapOp``: a new expert op is its parameters plus ``ask`` (and ``check``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from mmrecipe.ops.experts.base import ExpertMapOp
from mmrecipe.sample import ImageRef, Sample


class Widths(ExpertMapOp):
    """Answers each image's width; rejects narrow ones."""

    capability = "tagging"
    region_default = 0

    def __init__(self, regions_field: str | None = None) -> None:
        self.init_expert("expert", "width", regions_field=regions_field)
        self.asked: list[list[str]] = []

    def ask(self, images: list[Any], samples: list[Sample]) -> list[int]:
        self.asked.append([s.id for s in samples])
        return [im.width for im in images]

    def check(self, answer: int) -> tuple[str, str] | None:
        return ("narrow", f"{answer} px") if answer < 50 else None


def _sample(tmp_path: Path, name: str, width: int) -> Sample:
    path = tmp_path / f"{name}.png"
    Image.new("RGB", (width, 40), (9, 9, 9)).save(path)
    return Sample(id=name, images=[ImageRef(path=str(path))])


def test_one_ask_per_batch_answers_stored_checked_and_unreadable_images_rejected(
    tmp_path: Path,
) -> None:
    wide, narrow = _sample(tmp_path, "wide", 80), _sample(tmp_path, "narrow", 30)
    broken = Sample(id="broken", images=[ImageRef(path=str(tmp_path / "missing.png"))])
    op = Widths()
    assert (op.reads, op.writes) == (("images",), ("fields.width",))
    op.process_batch([wide, narrow, broken])
    assert op.asked == [["wide", "narrow"]]
    assert wide.fields["width"] == 80 and not wide.rejected
    assert narrow.rejected and narrow.rejection.reason == "narrow"
    assert broken.rejection.reason == "unreadable_image"


def test_regions_are_cropped_and_answered_in_place(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "s", 80)
    sample.fields["regions"] = [{"box": [0, 0, 60, 20]}, {"box": [0, 0, 2, 2]}, {"bad": 1}]
    op = Widths(regions_field="regions")
    assert op.reads == ("images", "fields.regions") and op.writes == ("fields.regions",)
    op.process_batch([sample])
    assert sample.fields["regions"] == [
        {"box": [0, 0, 60, 20], "width": 60},
        {"box": [0, 0, 2, 2], "width": 0},  # too small to crop: region_default
        {"bad": 1},
    ]
    assert not sample.rejected  # check is for whole images only
