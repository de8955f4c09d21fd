"""Stream a run's kept samples and rejects once, keep a bounded, deterministic subset for the
gallery and a few aggregates for the plots.

Memory does not grow with the run: each stratum (a domain for kept samples, an ``op:reason``
for rejects) keeps at most ``cap`` tiny ``(hash, id, file, offset)`` entries, and only the
chosen records are parsed again (by seeking to their line) to build gallery cards. Picking the
lowest id-hash per stratum, rather than the first lines, makes the choice independent of shard
order and lets every reject reason show up even when one reason dominates the run.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmrecipe.analysis.sampling import HashSample, stable_hash

#: strata beyond this many share one overflow stratum (bounds memory on odd data)
MAX_STRATA = 256
#: distinct domains counted by name; the rest are summed as "(other)"
MAX_DOMAINS = 500
#: items kept (per run) for the score and length histograms
PLOT_SAMPLE = 5000
OVERFLOW = "(other)"


@dataclass(frozen=True, order=True)
class Ref:
    """Where one chosen record lives: ``files[file]`` at byte ``offset``."""

    hash: int
    id: str
    file: int
    offset: int


@dataclass
class Selection:
    """What the single pass over ``samples/`` and ``rejects/`` found."""

    files: list[Path]
    kept: list[Ref]
    rejected: list[Ref]
    kept_total: int = 0
    rejected_total: int = 0
    bad_lines: int = 0
    domains: dict[str, Counter[str]] = field(default_factory=dict)
    #: (status, scores, response words) of a deterministic sample, for the histograms
    plot_items: list[tuple[str, dict[str, float], int | None]] = field(default_factory=list)
    plot_complete: bool = True

    @property
    def sampled(self) -> bool:
        return len(self.kept) + len(self.rejected) < self.kept_total + self.rejected_total


class _Strata:
    """Bottom-``cap`` by hash per stratum (a max-heap per stratum via negated hashes)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.heaps: dict[str, list[tuple[int, str, int, int]]] = {}

    def add(self, stratum: str, ref: Ref) -> None:
        if self.cap <= 0:
            return
        if stratum not in self.heaps and len(self.heaps) >= MAX_STRATA:
            stratum = OVERFLOW
        heap = self.heaps.setdefault(stratum, [])
        entry = (-ref.hash, ref.id, ref.file, ref.offset)
        if len(heap) < self.cap:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)

    def pick(self, n: int) -> list[Ref]:
        """``n`` refs spread over the strata: round-robin, each stratum in hash order."""
        ordered = [
            sorted(Ref(-h, i, f, o) for h, i, f, o in heap)
            for _, heap in sorted(self.heaps.items())
        ]
        out: list[Ref] = []
        depth = 0
        while len(out) < n and any(depth < len(s) for s in ordered):
            for refs in ordered:
                if depth < len(refs) and len(out) < n:
                    out.append(refs[depth])
            depth += 1
        return sorted(out)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    offset = 0
    with open(path, "rb") as fh:
        for line in fh:
            yield offset, line
            offset += len(line)


def rejection_of(record: dict[str, Any]) -> tuple[str, str, str | None]:
    """``(op, reason, detail)`` of a rejects/ line (flat, or nested under ``rejection``)."""
    nested = record.get("rejection") if isinstance(record.get("rejection"), dict) else {}
    op = record.get("op", nested.get("op"))
    reason = record.get("reason", nested.get("reason"))
    detail = record.get("detail", nested.get("detail"))
    return (
        str(op) if op is not None else "?",
        str(reason) if reason is not None else "?",
        None if detail is None else str(detail),
    )


def domain_of(record: dict[str, Any]) -> str:
    """``fields.domain`` as text ("" when unset): the stratum of kept samples."""
    fields = record.get("fields")
    value = fields.get("domain") if isinstance(fields, dict) else None
    return "" if value is None else str(value)


def response_words(record: dict[str, Any]) -> int | None:
    """Words of the last assistant turn (None when the sample has none)."""
    messages = record.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "assistant":
            content = message.get("content")
            return len(content.split()) if isinstance(content, str) else None
    return None


def numeric_scores(record: dict[str, Any]) -> dict[str, float]:
    """The plottable scores (finite numbers, not bools, NaN or Infinity from older runs);
    other values are ignored."""
    scores = record.get("scores")
    if not isinstance(scores, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in scores.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


def select(samples_dir: Path, rejects_dir: Path, max_samples: int) -> Selection:
    """One streaming pass: choose at most ``max_samples`` records (about half kept, half
    rejected; a side with fewer records leaves its share to the other) and count aggregates."""
    files = sorted(samples_dir.glob("*.jsonl")) if samples_dir.is_dir() else []
    n_kept_files = len(files)
    if rejects_dir.is_dir():
        files += sorted(rejects_dir.glob("*.jsonl"))
    kept = _Strata(max_samples)
    rejected = _Strata(max_samples)
    plot = HashSample[tuple[str, dict[str, float], int | None]](PLOT_SAMPLE)
    domains: dict[str, Counter[str]] = {"kept": Counter(), "rejected": Counter()}
    sel = Selection(files=files, kept=[], rejected=[], domains=domains)
    for index, path in enumerate(files):
        status = "kept" if index < n_kept_files else "rejected"
        for offset, line in _lines(path):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                sid = str(record["id"])
            except (ValueError, KeyError, TypeError):
                sel.bad_lines += 1  # a half-written line must not break the report
                continue
            key = f"{status}/{sid}"
            ref = Ref(stable_hash(key), sid, index, offset)
            domain = domain_of(record)
            counter = domains[status]
            if domain not in counter and len(counter) >= MAX_DOMAINS:
                domain = OVERFLOW
            counter[domain] += 1
            if status == "kept":
                sel.kept_total += 1
                kept.add(domain, ref)
            else:
                sel.rejected_total += 1
                op, reason, _ = rejection_of(record)
                rejected.add(f"{op}:{reason}", ref)
            plot.add(key, (status, numeric_scores(record), response_words(record)))
    n_rejected = min(sel.rejected_total, max(max_samples // 2, max_samples - sel.kept_total))
    n_kept = min(sel.kept_total, max_samples - n_rejected)
    sel.kept = kept.pick(n_kept)
    sel.rejected = rejected.pick(n_rejected)
    sel.plot_items = plot.items()
    sel.plot_complete = plot.complete
    return sel


def read_record(files: list[Path], ref: Ref) -> dict[str, Any] | None:
    """The record ``ref`` points at (None if the file changed under us)."""
    try:
        with open(files[ref.file], "rb") as fh:
            fh.seek(ref.offset)
            record = json.loads(fh.readline())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
