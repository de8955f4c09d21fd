"""``answer_style``: how a synthetic reply gives its final answer is chosen, not an accident
(the quickstart repeated the value on a line of its own after "So ... is 12.20.")."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.registry import build_op
from mmrecipe.synth.answer_style import compose_reply, last_boxed, reply_problem

GEOMETRY = "AB = AC + CB = 12 + 13.\nSo the length of AB is 25."
COUNT = "Rows above the threshold: Egypt, Mexico, Japan."


def test_compose_each_style() -> None:
    assert compose_reply(GEOMETRY, "25", "sentence") == GEOMETRY  # states it: not repeated
    assert compose_reply(COUNT, "3", "sentence") == f"{COUNT}\nSo the answer is 3."
    assert compose_reply(GEOMETRY, "25", "final_line") == f"{GEOMETRY}\n25"
    boxed = compose_reply(GEOMETRY, "25", "boxed")
    assert boxed.endswith("The answer is $\\boxed{25}$.") and last_boxed(boxed) == "25"
    assert compose_reply(None, "CAFE", "sentence") == "CAFE"
    assert last_boxed(compose_reply(None, '[{"a": {"b": 1}}]', "boxed")) == '[{"a": {"b": 1}}]'
    # "12" is not stated by "12.20", nor 5 by "25"
    assert compose_reply("So it is 12.20.", "12", "sentence").endswith("So the answer is 12.")
    assert compose_reply("So it is 25.", "5", "sentence").endswith("So the answer is 5.")
    for style in ("sentence", "final_line", "boxed"):
        for rationale, answer in ((GEOMETRY, "25"), (COUNT, "3"), (None, "CAFE")):
            reply = compose_reply(rationale, answer, style)
            assert reply_problem(reply, answer, style) is None, (style, reply)
            assert reply_problem(reply, answer + "1", style) is not None, (style, reply)


def _op(tmp_path: Path, **params):
    op = build_op("synth_mix", "mix", params)
    op.setup(OpContext(run_dir=tmp_path))
    return op


def test_no_reply_repeats_its_answer_and_styles_are_per_kind(tmp_path: Path) -> None:
    plain = _op(tmp_path / "a", generators={"geometry": 1}, num_samples=12, seed=3)
    for s in plain.generate(0, 12):
        lines = s.messages[-1]["content"].splitlines()
        assert s.fields["answer_style"] == "sentence"
        assert lines[-1].strip() != s.fields["answer"], lines[-2:]  # no bare repeated value
        assert s.fields["answer"] in lines[-1]
    mixed = _op(
        tmp_path / "b",
        generators={"geometry": 1, "table": 1, "maze": 1},
        num_samples=12,
        seed=3,
        difficulty=2,
        answer_style={"geometry": "boxed", "table": "final_line"},
    )
    samples = mixed.generate(0, 12)
    verify = build_op("synth_verify", "verify", {})
    verify.process_batch(samples)
    assert not [s.rejection for s in samples if s.rejection]
    by_kind: dict[str, list] = {}
    for s in samples:
        by_kind.setdefault(s.fields["generator"], []).append(s)
    assert set(by_kind) == {"geometry", "table", "maze"}
    for s in by_kind["geometry"]:
        assert last_boxed(s.messages[-1]["content"]) == s.fields["answer"]
    for s in by_kind["table"]:
        assert s.messages[-1]["content"].endswith("\n" + s.fields["answer"]) or not s.fields.get(
            "rationale"
        )
    assert all("answer_style" not in s.fields for s in by_kind["maze"])  # a trace: no style
    # another style is another sample: another id
    ids = {
        s.id for s in _op(tmp_path / "c", generators={"geometry": 1}, num_samples=3).generate(0, 3)
    }
    boxed = _op(tmp_path / "d", generators={"geometry": 1}, num_samples=3, answer_style="boxed")
    assert ids.isdisjoint(s.id for s in boxed.generate(0, 3))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"generators": {"maze": 1}, "answer_style": {"maze": "boxed"}}, "interleaved traces"),
        ({"generators": {"geometry": 1}, "answer_style": {"chart": "boxed"}}, "'chart'"),
        ({"generators": {"geometry": 1}, "answer_style": "latex"}, "answer_style"),
    ],
)
def test_styles_that_would_do_nothing_are_refused(
    tmp_path: Path, params: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _op(tmp_path, **params)
