"""mixture: target shares per group, deterministic by seed, independent of order."""

from __future__ import annotations

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.ops.curation.mixture import Mixture
from mmrecipe.sample import Sample


def _samples(counts: dict[str, int]) -> list[Sample]:
    return [
        Sample(id=f"{g}-{i}", fields={"domain": g}) for g, n in counts.items() for i in range(n)
    ]


def _kept(op: Mixture, samples: list[Sample]) -> list[str]:
    op.fit(iter(samples))
    return sorted(s.id for s in op.process_batch(samples) if not s.rejected)


def test_shares_and_determinism() -> None:
    samples = _samples({"chart": 100, "general": 30, "ocr": 50})
    op = Mixture(targets={"general": 0.5, "chart": 0.5}, seed=1)
    kept = _kept(op, samples)
    groups = [k.split("-")[0] for k in kept]
    assert groups.count("general") == 30 and groups.count("chart") == 30  # general limits
    reasons = {s.rejection.reason for s in samples if s.rejected}
    assert reasons == {"over_quota", "not_in_mixture"}
    again = _kept(
        Mixture(targets={"general": 0.5, "chart": 0.5}, seed=1),
        list(reversed(_samples({"chart": 100, "general": 30, "ocr": 50}))),
    )
    assert again == kept
    other_seed = _kept(
        Mixture(targets={"general": 0.5, "chart": 0.5}, seed=2),
        _samples({"chart": 100, "general": 30, "ocr": 50}),
    )
    assert other_seed != kept


def test_total_and_bad_targets() -> None:
    kept = _kept(
        Mixture(targets={"chart": 3, "general": 1}, total=20),
        _samples({"chart": 100, "general": 100}),
    )
    assert len(kept) == 20 and sum(k.startswith("chart") for k in kept) == 15
    with pytest.raises(ConfigError):
        Mixture(targets={"chart": 0})


def test_groups_the_data_lacks_are_left_out() -> None:
    kept = _kept(
        Mixture(targets={"chart": 1, "general": 1, "ocr": 2}), _samples({"chart": 10, "general": 4})
    )
    assert sorted(k.split("-")[0] for k in kept) == ["chart"] * 4 + ["general"] * 4
