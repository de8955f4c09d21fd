"""fan_out copies each sample to its branches; ``where`` copies only matching samples and
``keep_original`` keeps the sample itself (HoneyPipe's proactive long CoT)."""

from __future__ import annotations

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.ops.flow.fan_out import FanOut
from mmrecipe.sample import Sample


def _sample(sid: str, **fields: object) -> Sample:
    sample = Sample(id=sid)
    sample.fields.update(fields)
    return sample


def test_every_sample_copied_to_every_branch_by_default() -> None:
    out = FanOut(branches=["a", "b"]).process_batch([_sample("x")])
    assert [(s.id, s.branch, s.fields["kind"]) for s in out] == [
        ("x-a", "a", "a"),
        ("x-b", "b", "b"),
    ]


def test_where_and_keep_original() -> None:
    op = FanOut(
        branches=["long"], kind_field=None, where={"cot_proactive": [True]}, keep_original=True
    )
    out = op.process_batch(
        [_sample("p", cot_proactive=True), _sample("q"), _sample("r", cot_proactive=False)]
    )
    assert [(s.id, s.branch) for s in out] == [
        ("p", "main"),
        ("p-long", "long"),
        ("q", "main"),
        ("r", "main"),
    ]
    assert "kind" not in out[1].fields


@pytest.mark.parametrize("where", [{}, {"x": []}, {"x": "a"}, ["x"]])
def test_bad_where_is_refused(where: object) -> None:
    with pytest.raises(ConfigError):
        FanOut(branches=["a"], where=where)  # type: ignore[arg-type]
