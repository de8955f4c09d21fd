"""Multilingual pages, forms and merged-cell tables: answers recomputed from the ground truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.synth.answer_format import format_problem
from mmrecipe.synth.base import item_rng
from mmrecipe.synth.multilingual.grammar_data import GRAMMARS
from mmrecipe.synth.multilingual.ml_document import TASKS, MultilingualDocumentGenerator
from mmrecipe.synth.multilingual.ml_table import parse_html_cells

ALL = sorted(GRAMMARS)


def _grid(gt: dict) -> dict[tuple[int, int], str]:
    """Every grid position -> the text covering it (merged cells fill their whole span)."""
    out = {}
    for cell in gt["cells"]:
        for dr in range(cell["rowspan"]):
            for dc in range(cell["colspan"]):
                out[(cell["r"] + dr, cell["c"] + dc)] = cell["text"]
    return out


def _recompute(task: str, gt: dict, question: str) -> str:
    """The answer from the ground truth alone, without the generator's own code."""
    if task == "ocr":
        return "\n".join(r["text"] for r in gt["regions"])
    if task == "read_field":
        key = next(k for k in gt["fields"] if f'"{k}"' in question)
        return gt["fields"][key]
    if task == "key_values":
        return json.dumps(gt["fields"], ensure_ascii=False)
    grid = _grid(gt)
    if task == "cell_value":
        rows = [
            r for r in range(2, gt["n_rows"]) if f'"{grid[(r, 1)]}" in "{grid[(r, 0)]}"' in question
        ]
        cols = [c for c in range(2, 5) if f'under "{grid[(1, c)]}"' in question]
        assert len(rows) == 1 and len(cols) == 1
        return grid[(rows[0], cols[0])]
    if task == "merged_span":
        name = question.split('"')[1]
        return str(sum(1 for r in range(2, gt["n_rows"]) if grid[(r, 0)] == name))
    if task == "table_html":
        return ""  # checked structurally below
    raise AssertionError(task)


def test_every_answer_recomputed_from_the_ground_truth() -> None:
    gen = MultilingualDocumentGenerator(languages=ALL)
    tasks, langs = set(), set()
    for i in range(60):
        item = gen.make(item_rng(4, "multilingual_document", i), 1 + i % 3)
        gt = json.loads(json.dumps(item.ground_truth))
        tasks.add(item.task)
        langs.add(gt["language"])
        assert gen.verify(gt, item.answer) is None
        assert format_problem(item.question, item.answer) is None, (item.question, item.answer)
        if item.task == "table_html":
            cells = parse_html_cells(item.answer)
            grid = _grid(gt)
            assert cells is not None
            for r, c, rs, cs, text in cells:  # what an HTML renderer shows where
                assert all(grid[(r + a, c + b)] == text for a in range(rs) for b in range(cs))
            assert {(r, c) for r, c, *_ in cells} == {(x["r"], x["c"]) for x in gt["cells"]}
            assert any(rs > 1 for _r, _c, rs, _cs, _t in cells)
            assert any(cs > 1 for _r, _c, _rs, cs, _t in cells)
        else:
            assert item.answer == _recompute(item.task, gt, item.question)
        # every drawn line is a region: the page's language, inside the image
        w, h = gt["render"]["size"]
        for region in gt["regions"]:
            assert region["language"] == gt["language"]
            x0, y0, x1, y1 = region["bbox"]
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    assert tasks == set(TASKS)
    assert langs == set(ALL)


def test_fields_lines_read_key_colon_value() -> None:
    gen = MultilingualDocumentGenerator(languages=["ar", "ru"], modes=["page"])
    for i in range(6):
        gt = gen.make(item_rng(0, "multilingual_document", i), 2).ground_truth
        for k, (key, value) in enumerate(gt["fields"].items(), start=1):
            assert gt["lines"][k] == f"{key}: {value}"


def test_same_seed_same_bytes(determinism: Callable[..., None], tmp_path: Path) -> None:
    determinism(MultilingualDocumentGenerator(languages=ALL), tmp_path)


def test_verifier_rejects_tampered(verifier: Callable[..., set[str]]) -> None:
    gen = MultilingualDocumentGenerator(languages=ALL, tasks=["read_field", "cell_value", "ocr"])
    assert verifier(gen, 12) == {"read_field", "cell_value", "ocr"}
    item = MultilingualDocumentGenerator(tasks=["table_html"]).make(item_rng(0, "x", 0), 1)
    broken = item.answer.replace('rowspan="2"', "", 1)
    assert MultilingualDocumentGenerator().verify(item.ground_truth, broken)


def test_bad_options() -> None:
    with pytest.raises(ConfigError):
        MultilingualDocumentGenerator(modes=["table"], tasks=["ocr"])
    with pytest.raises(ConfigError, match="unknown language"):
        MultilingualDocumentGenerator(languages={"tlh": 1})
