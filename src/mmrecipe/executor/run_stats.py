"""The run's ``stats.json``: every finished shard's per-step stats merged, and the figures that
hold across reruns into one run dir (wall times, cache hits). Read from the state store only, so a
resumed run reports the same totals as an uninterrupted one."""

from __future__ import annotations

import json
from typing import Any

from mmrecipe.executor.shards import OUTPUT_PREFIX, READ_STEP
from mmrecipe.state import StateStore
from mmrecipe.stats import StepStats


def run_history(state: StateStore, wall: float, usage: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Figures that mean what they say across reruns into one run dir: the wall time of the
    first and of the last finished run (a no-op rerun is fast; the first run is what the data
    cost), and model answers reused from the request cache vs the cache's size."""
    wall = round(wall, 3)
    previous = json.loads(state.get_meta("runs") or "{}")
    runs = {
        "count": previous.get("count", 0) + 1,
        "first_wall_seconds": previous.get("first_wall_seconds", wall),
        "last_wall_seconds": wall,
        "total_wall_seconds": round(previous.get("total_wall_seconds", 0.0) + wall, 3),
    }
    state.set_meta("runs", json.dumps(runs))
    return {
        "runs": runs,
        "cache": {
            # answers taken from the cache / sent to a model, over the shards in the output
            "hits": sum(u.get("cache_hits", 0) for u in usage.values()),
            "requests": sum(u.get("requests", 0) for u in usage.values()),
            "entries": state.cache_size(),
        },
    }


def collect_stats(state: StateStore, step_order: list[str]) -> dict[str, Any]:
    """Merge per-shard stats of every finished shard into the ``stats.json`` shape."""
    merged: dict[str, StepStats] = {}
    outputs: dict[str, StepStats] = {}
    for _phase, _shard, shard_stats in state.shard_stats():
        for name, data in shard_stats.items():
            bucket = outputs if name.startswith(OUTPUT_PREFIX) else merged
            key = name.removeprefix(OUTPUT_PREFIX)
            bucket.setdefault(key, StepStats()).merge(StepStats.from_dict(data))
    names = [n for n in step_order if n in merged] + [n for n in merged if n not in step_order]
    steps = {n: merged[n].to_dict() for n in names}
    reasons: dict[str, int] = {}
    for n in names:
        for reason, count in merged[n].rejected.items():
            key = f"{n}:{reason}"
            reasons[key] = reasons.get(key, 0) + count
    n_input = merged[READ_STEP].n_in if READ_STEP in merged else 0
    kept = state.kept_in_phase(last_phase) if (last_phase := state.last_phase()) is not None else 0
    usage: dict[str, dict[str, int]] = {}
    for st in merged.values():
        for backend, counts in st.usage.items():
            bucket = usage.setdefault(backend, {})
            for key, value in counts.items():
                bucket[key] = bucket.get(key, 0) + value
    transient = sum(st.transient for st in merged.values())
    return {
        "totals": {"input": n_input, "kept": kept, "rejected": sum(reasons.values())},
        # of the rejected, those for transport reasons (server errors, time-outs): a rerun
        # retries them
        "rejected_transient": transient,
        "steps": steps,
        "reject_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "usage": usage,
        "barriers": {str(k): v for k, v in state.barrier_stats().items()},
        "outputs": {
            fmt: {
                "in": st.n_in,
                "written": st.n_out,
                "left_out": dict(sorted(st.rejected.items())),
                "lost": {k[5:]: v for k, v in sorted(st.routed.items()) if k.startswith("lost:")},
            }
            for fmt, st in outputs.items()
        },
    }
