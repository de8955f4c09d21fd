"""A card of an edit triplet shows source and edited image side by side, the instruction as
text, and edit_verify's scores."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from mmrecipe.report.cards import make_card
from mmrecipe.report.thumbnails import Thumbnails

from .conftest import PAYLOAD


def test_edit_card(tmp_path: Path) -> None:
    for name, color in (("src.png", (200, 0, 0)), ("edit.png", (0, 0, 200))):
        Image.new("RGB", (32, 24), color).save(tmp_path / name)
    record = {
        "id": "a-e0",
        "images": [{"path": str(tmp_path / "src.png")}, {"path": str(tmp_path / "edit.png")}],
        "messages": [],
        "fields": {"source_image": 0, "edited_image": 1, "instruction": PAYLOAD},
        "scores": {"edit_clip_direction": 0.3, "edit_changed": 0.5, "other": 1.0},
    }
    thumbs = Thumbnails(tmp_path, 1 << 20)
    card = make_card(record, "kept", thumbs)
    edit = card["edit"]
    assert edit["instruction"] == PAYLOAD  # text; the page sets it with textContent
    assert edit["source"][0] is not None and edit["edited"][0] is not None
    assert edit["source"][0] != edit["edited"][0]
    assert edit["scores"] == [["edit_changed", 0.5], ["edit_clip_direction", 0.3]]
    # each shown once: the two images and the edit scores only in the edit view
    assert card["images"] == [] and card["scores"] == [["other", 1.0]]
    # no edit view for a plain record, nor for an index that names no image
    record["fields"] = {"edited_image": 7}
    assert "edit" not in make_card(record, "kept", thumbs)
