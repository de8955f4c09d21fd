"""``mmrecipe analyze`` on a dataset obeys the dataset root like run and convert: an InternVL
meta naming an annotation outside its folder is not read into ``analysis.json``."""

from __future__ import annotations

import json
from pathlib import Path

from mmrecipe.analysis import analyze_run


def test_analyze_never_reads_an_annotation_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "secret.jsonl"
    outside.parent.mkdir()
    secret = {"conversations": [{"from": "human", "value": "zanzibarsecretword"}]}
    outside.write_text(json.dumps({"id": "s", **secret}) + "\n")
    data = tmp_path / "data"
    data.mkdir()
    conv = [{"from": "human", "value": "what colour is it"}, {"from": "gpt", "value": "red"}]
    (data / "a.jsonl").write_text(json.dumps({"id": "a", "conversations": conv}) + "\n")
    meta = data / "meta.json"
    meta.write_text(
        json.dumps({"evil": {"annotation": str(outside)}, "ok": {"annotation": "a.jsonl"}})
    )
    result = analyze_run(meta, plots=False, output_dir=tmp_path / "out")
    written = (tmp_path / "out" / "analysis.json").read_text()
    assert "zanzibarsecretword" not in written + json.dumps(result, default=str)
    assert result["counts"]["kept"] == 1  # the outside annotation's record was never read
