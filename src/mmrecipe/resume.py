"""What a shard read, so that a rerun can tell whether its input changed.

A finished shard is reused by a rerun only when it would read exactly the same samples again:
its *fingerprint* (a hash of every input sample's id and content digest) must match. The digest
of a sample covers its record (messages, fields, image references) and, for each local image,
the file's size and modification time, so an edited JSONL line, a replaced image or an image
added to or removed from a folder changes the fingerprint of the shard(s) it falls in. A shard
whose fingerprint differs is redone (the request cache answers the model calls already paid
for) and shards past the new end of the input are removed, so the rerun ends exactly like a
fresh run over the new input.

The ``id:digest`` items of each shard are stored too, to tell the user what changed (added,
removed, edited) and to let other executors reuse the same check.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mmrecipe.sample import Sample

if TYPE_CHECKING:
    from mmrecipe.state import StateStore

#: beyond this many changed items the progress line gives shard numbers only (bounded memory)
MAX_COUNTED_ITEMS = 2_000_000


def sample_digest(sample: Sample) -> str:
    """A short digest of one input sample: its record plus each local image's size and mtime
    (not needed when the reader already gave the image's sha256: it is in the record)."""
    h = hashlib.sha256()
    h.update(json.dumps(sample.to_dict(), sort_keys=True, default=str).encode("utf-8"))
    for ref in sample.images:
        path = ref.path
        if ref.sha256 or path.startswith(("http://", "https://", "data:")):
            continue
        try:
            st = os.stat(path)
            h.update(f"|{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(b"|missing")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class ShardInput:
    """What one shard reads: its fingerprint and the ``id:digest`` item of each sample."""

    fingerprint: str
    items: list[str]

    @classmethod
    def of(cls, samples: Iterable[Sample]) -> ShardInput:
        items = [f"{s.id}:{sample_digest(s)}" for s in samples]
        blob = "\n".join(items).encode("utf-8")
        return cls(fingerprint=hashlib.sha256(blob).hexdigest()[:24], items=items)


@dataclass
class InputChanges:
    """Compares a rerun's shards with what the finished run read; says what changed.

    Feed it, in shard order, every new shard (``new_shard``) and, for the shards to compare
    with, the old items (``old_shard``); ``message()`` then gives the progress line."""

    redone: list[int] = field(default_factory=list)
    added_shards: list[int] = field(default_factory=list)
    removed_shards: list[int] = field(default_factory=list)
    _old: dict[str, str] = field(default_factory=dict)
    _new: dict[str, str] = field(default_factory=dict)
    _counting: bool = False
    _overflow: bool = False

    def start_counting(self) -> None:
        """From the first differing shard on, items are compared (earlier shards matched)."""
        self._counting = True

    @property
    def counting(self) -> bool:
        return self._counting

    def old_shard(self, items: list[str]) -> None:
        self._add(self._old, items)

    def new_shard(self, items: list[str]) -> None:
        self._add(self._new, items)

    def _add(self, into: dict[str, str], items: list[str]) -> None:
        if not self._counting or self._overflow:
            return
        for item in items:
            sid, _, digest = item.rpartition(":")
            into[sid] = digest
        if len(self._old) + len(self._new) > MAX_COUNTED_ITEMS:
            self._overflow = True
            self._old.clear()
            self._new.clear()

    @property
    def changed(self) -> bool:
        return bool(self.redone or self.added_shards or self.removed_shards)

    def counts(self) -> tuple[int, int, int] | None:
        """(added, removed, edited) samples, or None when too many to count."""
        if self._overflow:
            return None
        added = sum(1 for k in self._new if k not in self._old)
        removed = sum(1 for k in self._old if k not in self._new)
        edited = sum(1 for k, d in self._new.items() if k in self._old and self._old[k] != d)
        return added, removed, edited

    def message(self) -> str:
        parts = []
        counts = self.counts()
        if counts is not None:
            added, removed, edited = counts
            parts.append(f"{added} added, {removed} removed, {edited} edited")
        what = "; ".join(parts)
        line = "input changed since the last run" + (f": {what}" if what else "")
        if self.redone:
            line += f"; redoing shard(s) {ranges(self.redone)}"
        if self.added_shards:
            line += f"; new shard(s) {ranges(self.added_shards)}"
        if self.removed_shards:
            line += f"; removing shard(s) {ranges(self.removed_shards)} past the new end"
        return line + " (cached model answers are reused)"


def ranges(numbers: list[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` -> ``"0-2, 5, 7-8"``."""
    out: list[str] = []
    nums = sorted(set(numbers))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ", ".join(out)


class ShardPlan:
    """Decides, shard by shard, which finished shards of a phase a run keeps.

    A finished shard is kept when it would read the same input (same fingerprint; shards with
    no recorded input, a source op's or a later phase's, only need to be finished) and had no
    transient rejects. Before the first shard of a phase is redone, every later phase is
    forgotten: their input (this phase's output, and a barrier's fit on all of it) changes.
    Executors call ``reuse`` for each shard in order, then ``finish`` with the new shard count.
    """

    def __init__(
        self,
        phase: int,
        records: dict[int, tuple[str | None, int]],
        old_count: int,
        state: StateStore,
    ) -> None:
        self.phase = phase
        self.records = records
        self.old_count = old_count
        self.state = state
        self.changes = InputChanges()
        self.transient: list[int] = []
        self.unrecorded: list[int] = []
        self._invalidated = False

    def reuse(self, shard: int, shard_input: ShardInput | None) -> bool:
        """Whether ``shard`` (about to read ``shard_input``) is kept as it is."""
        changes = self.changes
        record = self.records.get(shard)
        if record is not None:
            fingerprint, transient = record
            if shard_input is not None and fingerprint is None:
                self.unrecorded.append(shard)
            elif shard_input is not None and fingerprint != shard_input.fingerprint:
                changes.start_counting()
                changes.old_shard(self.state.shard_items(self.phase, shard))
                changes.new_shard(shard_input.items)
                changes.redone.append(shard)
            elif transient:
                self.transient.append(shard)
            else:
                if changes.counting and shard_input is not None:
                    changes.old_shard(shard_input.items)
                    changes.new_shard(shard_input.items)
                return True
        elif shard_input is not None and self.old_count and shard >= self.old_count:
            changes.start_counting()
            changes.new_shard(shard_input.items)
            changes.added_shards.append(shard)
        self._invalidate()
        return False

    def gone_shards(self, count: int) -> list[int]:
        """Shards of an earlier run past the new end of the input."""
        return sorted(s for s in set(self.records) | set(range(self.old_count)) if s >= count)

    def finish(self, count: int) -> list[str]:
        """After the last shard: note shards past the new end; the progress lines to show."""
        gone = self.gone_shards(count)
        if gone:
            self._invalidate()
            self.changes.start_counting()
            for shard in gone:
                self.changes.old_shard(self.state.shard_items(self.phase, shard))
            self.changes.removed_shards = gone
        lines = []
        if self.changes.changed:
            lines.append(self.changes.message())
        if self.unrecorded:
            lines.append(
                f"shard(s) {ranges(self.unrecorded)} were finished by an older mmrecipe that did "
                "not record their input: redoing them (cached model answers are reused)"
            )
        if self.transient:
            lines.append(
                f"redoing shard(s) {ranges(self.transient)}: they had transient model errors "
                "(server errors, time-outs, rate limits); answers that succeeded come from the cache"
            )
        return lines

    def _invalidate(self) -> None:
        if not self._invalidated:
            self.state.forget_phases_after(self.phase)
            self._invalidated = True
