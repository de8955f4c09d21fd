"""Strict JSON: non-finite numbers become null, and the sample says which."""

from __future__ import annotations

import json

from mmrecipe import strictjson
from mmrecipe.sample import Sample


def test_dumps_never_writes_nan_or_infinity() -> None:
    text = strictjson.dumps({"a": [1.0, float("nan")], "b": {"c": float("-inf")}, "d": "x"})
    assert json.loads(text) == {"a": [1.0, None], "b": {"c": None}, "d": "x"}


def test_clean_sample_flags_what_it_replaced() -> None:
    sample = Sample(id="s", scores={"ok": 1.0, "bad": float("inf")})
    sample.trace["non_finite"] = ["fields.old = nan"]
    strictjson.clean_sample(sample)
    assert sample.scores == {"ok": 1.0, "bad": None}
    assert sample.trace["non_finite"] == ["fields.old = nan", "scores.bad = inf"]
    clean = Sample(id="t", scores={"ok": 2.0})
    assert "non_finite" not in strictjson.clean_sample(clean).trace
