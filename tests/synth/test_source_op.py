"""The shared source-op plumbing: ratios, shard independence, difficulty spread, clear errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.registry import build_op


def _op(tmp_path: Path, **params):
    op = build_op("synth_mix", "mix", params)
    op.setup(OpContext(run_dir=tmp_path))
    return op


def test_kinds_follow_the_ratios_at_every_prefix(tmp_path: Path) -> None:
    op = _op(tmp_path, generators={"geometry": 3, "maze": 1}, num_samples=1000)
    for n in (40, 400, 1000):
        counts = Counter(op.kind_at(i) for i in range(n))
        assert abs(counts["geometry"] - 0.75 * n) <= 3


def test_shards_are_independent_of_how_the_run_is_cut(tmp_path: Path) -> None:
    a = _op(tmp_path / "a", generators={"geometry": 1, "jigsaw": 1}, num_samples=6, seed=4)
    b = _op(tmp_path / "b", generators={"jigsaw": 1, "geometry": 1}, num_samples=6, seed=4)
    whole = a.generate(0, 6)
    parts = b.generate(3, 6) + b.generate(0, 3)
    assert sorted(s.id for s in whole) == sorted(s.id for s in parts)
    by_id = {s.id: s for s in parts}
    for s in whole:
        other = by_id[s.id]
        assert [i.sha256 for i in s.images] == [i.sha256 for i in other.images]
        assert s.messages == other.messages


def test_difficulty_range_is_spread_over_samples(tmp_path: Path) -> None:
    op = _op(tmp_path, generators={"geometry": 1}, difficulty=1, max_difficulty=5)
    levels = Counter(op.difficulty_at(i) for i in range(500))
    assert set(levels) == {1, 2, 3, 4, 5} and min(levels.values()) > 60


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"generators": {"geometry": 1, "charts": 1, "tabel": 2}}, "'charts', 'tabel'"),
        ({"generators": {"geometry": 0}}, "every ratio is 0"),
        ({"generators": {"geometry": -1}}, ">= 0"),
        ({"generators": {"geometry": 1}, "difficulty": 3, "max_difficulty": 2}, "max_difficulty"),
    ],
)
def test_bad_parameters_fail_before_running(params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_op("synth_mix", "mix", params)
