"""A JSON array's elements are parsed one by one: one record nested 5,000 deep, or broken, is
one reject and the records after it are read (LLaVA / ShareGPT pretty JSON files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmrecipe.io import open_reader
from mmrecipe.io.base import ImageRoot
from mmrecipe.io.jsonarray import array_elements


def _record(i: int) -> str:
    conv = [{"from": "human", "value": f"q{i} [not a bracket] {{"}, {"from": "gpt", "value": "a"}]
    return json.dumps({"id": f"r{i}", "conversations": conv})


@pytest.mark.parametrize(
    "bad",
    [
        '{"id": "deep", "x": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"id": "broken", "x": [1, 2,, 3], "s": "]}"}',
        '{"id": "nan", "x": tru}',
        "12",
    ],
)
def test_one_bad_element_is_one_reject(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "train.json"
    path.write_text("[\n  " + ",\n  ".join([_record(0), bad, _record(1), _record(2)]) + "\n]\n")
    samples = list(open_reader("llava", path, image_root=ImageRoot(tmp_path)))
    assert [s.id for s in samples if not s.rejected] == ["r0", "r1", "r2"]
    assert [s.rejection.reason for s in samples if s.rejection] == ["malformed_record"]


def test_elements_match_json_loads() -> None:
    values = [{"a": [1, {"b": "]},["}]}, [], 'x\\"]', 1.5, None, {"deep": [[[[]]]]}]
    text = json.dumps(values, indent=2)
    assert [v for ok, v in array_elements(text) if ok] == values
    assert list(array_elements("[ ]")) == []


@pytest.mark.parametrize("text", ["[1, 2", '[1, "abc', "[1 2]", '[{"a": [}'])
def test_a_broken_structure_ends_with_one_error(text: str) -> None:
    oks = [ok for ok, _ in array_elements(text)]
    assert oks[-1] is False and oks.count(False) == 1
