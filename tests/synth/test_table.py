from __future__ import annotations

import random
from pathlib import Path

from mmrecipe.synth.base import get_generator
from mmrecipe.synth.render import html_table
from mmrecipe.synth.table import TableGenerator


def test_registered_and_deterministic(tmp_path: Path, determinism) -> None:
    assert get_generator("table") is TableGenerator
    determinism(TableGenerator(), tmp_path)


def test_verifier_accepts_own_answers_and_rejects_tampered(verifier) -> None:
    tasks = verifier(TableGenerator(), 150)
    assert tasks == {
        "lookup",
        "sum",
        "mean",
        "argmax",
        "argmin",
        "count_above",
        "to_markdown",
        "to_html",
    }


def test_recognition_accepts_html_for_markdown_and_keeps_cell_boxes() -> None:
    gen = TableGenerator(tasks=["to_markdown"], styles=["zebra"])
    item = gen.make(random.Random(2), 3)
    table = item.ground_truth["table"]
    assert gen.verify(item.ground_truth, html_table(table["header"], table["rows"])) is None
    cells = item.extra["cells"]
    assert len(cells) == (len(table["rows"]) + 1) * len(table["header"])
    w, h = item.images[0].size
    assert all(
        0 <= c["bbox"][0] < c["bbox"][2] <= w and 0 <= c["bbox"][1] < c["bbox"][3] <= h
        for c in cells
    )
