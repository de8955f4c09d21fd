"""Per-step counters: samples in/out, rejects by reason, seconds, and model usage.

Counters are kept per shard (so a resumed run sums finished shards from every attempt exactly
once) and merged into ``stats.json`` at the end. Backends record usage into the step that is
running through a context variable, which asyncio tasks and ``to_thread`` both carry.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepStats:
    n_in: int = 0
    n_out: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    routed: Counter[str] = field(default_factory=Counter)
    #: rejects for transport reasons (server errors, time-outs): the next run retries them
    transient: int = 0
    seconds: float = 0.0
    #: backend name -> counter name -> value (requests, prompt_tokens, cache_hits, ...)
    usage: dict[str, Counter[str]] = field(default_factory=dict)

    def record_usage(self, backend: str, **counts: int) -> None:
        bucket = self.usage.setdefault(backend, Counter())
        for key, value in counts.items():
            bucket[key] += value

    def merge(self, other: StepStats) -> None:
        self.n_in += other.n_in
        self.n_out += other.n_out
        self.rejected.update(other.rejected)
        self.routed.update(other.routed)
        self.transient += other.transient
        self.seconds += other.seconds
        for backend, counts in other.usage.items():
            self.usage.setdefault(backend, Counter()).update(counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "in": self.n_in,
            "out": self.n_out,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": sum(self.rejected.values()),
            "rejected_transient": self.transient,
            "routed": dict(sorted(self.routed.items())),
            "seconds": round(self.seconds, 3),
            "usage": {b: dict(sorted(c.items())) for b, c in sorted(self.usage.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepStats:
        return cls(
            n_in=data.get("in", 0),
            n_out=data.get("out", 0),
            rejected=Counter(data.get("rejected", {})),
            routed=Counter(data.get("routed", {})),
            transient=data.get("rejected_transient", 0),
            seconds=data.get("seconds", 0.0),
            usage={b: Counter(c) for b, c in data.get("usage", {}).items()},
        )


current_step_stats: contextvars.ContextVar[StepStats | None] = contextvars.ContextVar(
    "current_step_stats", default=None
)


def record_usage(backend: str, **counts: int) -> None:
    """Add model usage (requests, tokens, cache hits) to the step now running, if any."""
    stats = current_step_stats.get()
    if stats is not None:
        stats.record_usage(backend, **counts)


def rate_text(rate: float | None) -> str:
    """A pass rate as people read it: ``42.0%`` for a filter, ``x3`` for a step that makes
    more samples than it gets (a fan-out: "300.0%" is not a pass rate)."""
    if rate is None:
        return "–"
    if rate > 1:
        return f"x{rate:.3g}"
    return f"{rate:.1%}"
