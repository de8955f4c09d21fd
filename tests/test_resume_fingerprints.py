"""Shard fingerprints and the change summary of input-aware resume."""

from __future__ import annotations

import os
from pathlib import Path

from mmrecipe.resume import InputChanges, ShardInput, ranges, sample_digest
from mmrecipe.sample import ImageRef, Sample


def test_ranges() -> None:
    assert ranges([5, 0, 1, 2, 7, 8]) == "0-2, 5, 7-8"
    assert ranges([3]) == "3"


def test_digest_follows_the_record_and_the_image_file(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"one")
    sample = Sample(id="a", images=[ImageRef(path=str(image))], fields={"x": 1})
    first = sample_digest(sample)
    assert sample_digest(sample) == first
    os.utime(image, ns=(1, 1))
    touched = sample_digest(sample)
    assert touched != first
    sample.fields["x"] = 2
    assert sample_digest(sample) != touched
    hashed = Sample(id="b", images=[ImageRef(path=str(image), sha256="f" * 64)])
    before = sample_digest(hashed)
    os.utime(image, ns=(2, 2))
    assert sample_digest(hashed) == before  # the reader's sha256 already names the content


def test_changes_count_added_removed_edited() -> None:
    old = ShardInput.of([Sample(id=i, fields={"v": 0}) for i in ("a", "b", "c")])
    new = ShardInput.of(
        [Sample(id="a", fields={"v": 0}), Sample(id="c", fields={"v": 1}), Sample(id="d")]
    )
    assert old.fingerprint != new.fingerprint
    changes = InputChanges()
    changes.start_counting()
    changes.old_shard(old.items)
    changes.new_shard(new.items)
    changes.redone.append(0)
    assert changes.counts() == (1, 1, 1)
    assert changes.message() == (
        "input changed since the last run: 1 added, 1 removed, 1 edited; redoing shard(s) 0 "
        "(cached model answers are reused)"
    )
