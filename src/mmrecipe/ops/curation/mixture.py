"""Sample a dataset to target ratios per group (domain, source): a deterministic mixture."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import BarrierOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


def _rank(seed: int, sample_id: str) -> int:
    digest = hashlib.blake2b(f"{seed}\x1f{sample_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@register_op("mixture")
class Mixture(BarrierOp):
    """Keeps ``targets`` ratios between the groups named by ``fields.<by>`` (a missing or
    unlisted value is group ``other``; a listed group the data lacks is left out and the
    other shares renormalized). The largest mixture the data allows is taken (or
    ``total`` samples when smaller); inside a group, the samples kept are those with the
    lowest hash of (seed, id), so the choice is deterministic, independent of order and
    sharding, and a larger quota keeps a superset. Rejects: ``over_quota`` (the group and its
    quota in the detail), ``not_in_mixture`` (a group with no target).

    Args:
        targets: group -> share (normalized to sum to 1)
        by: the field that names a sample's group (domain, source, ...)
        total: most samples kept in all (None: as many as the ratios allow)
        seed: which samples a quota keeps
    """

    def __init__(
        self,
        targets: dict[str, float],
        by: str = "domain",
        total: int | None = None,
        seed: int = 0,
    ) -> None:
        if not targets or any(v < 0 for v in targets.values()) or sum(targets.values()) <= 0:
            raise ConfigError("mixture: targets must be non-negative shares with a positive sum")
        norm = sum(targets.values())
        self.targets = {k: v / norm for k, v in targets.items()}
        self.by = by
        self.total = total
        self.seed = seed
        self.reads = (f"fields.{by}",)
        self._cutoff: dict[str, int] = {}
        self._quota: dict[str, int] = {}

    def _group(self, sample: Sample) -> str:
        value = sample.fields.get(self.by)
        return str(value) if value is not None and str(value) in self.targets else "other"

    def fit(self, samples: Iterable[Sample]) -> None:
        ranks: dict[str, list[int]] = defaultdict(list)
        for sample in samples:
            ranks[self._group(sample)].append(_rank(self.seed, sample.id))
        # groups the data does not have are left out and the others' shares renormalized
        present = {g: r for g, r in self.targets.items() if r > 0 and ranks.get(g)}
        norm = sum(present.values())
        shares = {g: r / norm for g, r in present.items()}
        size = min((len(ranks[g]) / r for g, r in shares.items()), default=0.0)
        if self.total is not None:
            size = min(size, float(self.total))
        self._quota = {g: int(size * shares.get(g, 0.0)) for g in self.targets}
        self._cutoff = {}
        for group, values in ranks.items():
            quota = self._quota.get(group, 0)
            values.sort()
            self._cutoff[group] = values[quota - 1] if quota else -1

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            group = self._group(sample)
            if group not in self.targets:
                sample.reject(self.name, "not_in_mixture", f"group {group!r} has no target")
            elif _rank(self.seed, sample.id) > self._cutoff.get(group, -1):
                quota = self._quota.get(group, 0)
                sample.reject(self.name, "over_quota", f"group {group!r} keeps {quota}")
        return samples
