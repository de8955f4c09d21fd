"""The gallery subset: bounded, deterministic, and every reject reason and domain shows up."""

from __future__ import annotations

import json
from pathlib import Path

from mmrecipe.report.collect import read_record, select

from .conftest import record, reject, write_run


def _run(root: Path, n_kept: int, reasons: dict[str, int], shards: int = 2) -> Path:
    kept = [
        record(f"k{i}", "q", "a", domain="ab"[i % 2], scores={"s": i % 5}) for i in range(n_kept)
    ]
    rejected = [
        reject(record(f"r-{reason}-{i}", "q", None), reason.split(":")[0], reason.split(":")[1])
        for reason, n in reasons.items()
        for i in range(n)
    ]
    return write_run(root, kept, rejected, shards=shards)


def test_small_run_is_shown_whole(small_run: Path) -> None:
    sel = select(small_run / "samples", small_run / "rejects", 1200)
    assert (sel.kept_total, sel.rejected_total) == (24, 12)
    assert (len(sel.kept), len(sel.rejected)) == (24, 12)
    assert not sel.sampled and sel.plot_complete
    assert sel.domains["kept"] == {"chart": 8, "ocr": 8, "general": 8}
    ids = {read_record(sel.files, r)["id"] for r in sel.kept}  # type: ignore[index]
    assert ids == {f"k{i:02d}" for i in range(24)}


def test_bounded_and_every_reason_represented(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", 500, {"qc:low": 400, "qc:rare": 2, "intake:corrupt": 3})
    sel = select(run / "samples", run / "rejects", 40)
    assert len(sel.kept) + len(sel.rejected) == 40 and sel.sampled
    assert len(sel.rejected) == 20
    reasons = [read_record(sel.files, r)["reason"] for r in sel.rejected]  # type: ignore[index]
    assert reasons.count("rare") == 2 and reasons.count("corrupt") == 3
    domains = [read_record(sel.files, r)["fields"]["domain"] for r in sel.kept]  # type: ignore[index]
    assert domains.count("a") == domains.count("b") == 10


def test_few_rejects_leave_their_share_to_kept(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", 500, {"qc:low": 3})
    sel = select(run / "samples", run / "rejects", 40)
    assert (len(sel.kept), len(sel.rejected)) == (37, 3)


def test_choice_does_not_depend_on_shard_layout(tmp_path: Path) -> None:
    one = _run(tmp_path / "one", 300, {"qc:low": 100}, shards=1)
    three = _run(tmp_path / "three", 300, {"qc:low": 100}, shards=3)
    picks = []
    for run in (one, three):
        sel = select(run / "samples", run / "rejects", 30)
        picks.append(sorted(r.id for r in sel.kept + sel.rejected))
    assert picks[0] == picks[1]


def test_broken_lines_are_skipped(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", 5, {"qc:low": 1})
    with open(run / "samples" / "shard-00000.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": "half-writ\n\n' + json.dumps({"no_id": 1}) + "\n")
    sel = select(run / "samples", run / "rejects", 100)
    assert sel.bad_lines == 2 and sel.kept_total == 5


def test_missing_folders_give_an_empty_selection(tmp_path: Path) -> None:
    sel = select(tmp_path / "samples", tmp_path / "rejects", 100)
    assert sel.kept == sel.rejected == [] and sel.kept_total == 0
