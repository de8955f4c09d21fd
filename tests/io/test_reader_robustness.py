"""Every reader turns any record into exactly one sample (kept or rejected), whatever its shape:
the same zoo of odd records goes through each JSON format, and odd rows through Parquet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmrecipe.io import open_reader
from mmrecipe.io.base import GuardedReader

ODD_VALUES: list[Any] = [
    None,
    1,
    -1.5,
    True,
    "",
    "text",
    [],
    [1, None],
    {},
    {"a": {"b": []}},
    [{"type": "image_url", "image_url": 5}],
    [{"type": "image_url", "image_url": {"url": None}}],
    [{"type": "image_url", "image_url": {"url": "data:image/png;base64,!!!"}}],
    [{"type": "text"}, "x", 3],
    [{"from": 1, "value": None}],
    [{"role": None, "content": None}],
    [{"role": "user", "content": [{"type": "text", "text": 5}]}],
    ["/etc/passwd", 7],
    "x" * 5000,
]
KEYS = ["id", "image", "images", "conversations", "messages", "fields", "scores", "trace"]


def _zoo() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for key in KEYS:
        for value in ODD_VALUES:
            records.append({key: value})
            records.append({"conversations": [], "messages": [], key: value})
    return records


@pytest.mark.parametrize("fmt", ["llava", "sharegpt", "openai", "samples"])
def test_json_readers_never_raise(tmp_path: Path, fmt: str) -> None:
    records = _zoo()
    source = tmp_path / "zoo.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    samples = list(open_reader(fmt, source, materialize_dir=tmp_path / "m"))
    assert len(samples) == len(records)
    for sample in samples:  # every kept sample is writable as JSON
        json.dumps(sample.to_dict())


def test_coco_reader_never_raises(tmp_path: Path) -> None:
    data = {
        "images": [{"id": v, "file_name": v} for v in ODD_VALUES] + ODD_VALUES,
        "annotations": [{"image_id": v, "caption": v, "bbox": v} for v in ODD_VALUES] + ODD_VALUES,
        "categories": [{"id": v} for v in ODD_VALUES] + ODD_VALUES,
    }
    source = tmp_path / "coco.json"
    source.write_text(json.dumps(data))
    samples = list(GuardedReader(open_reader("coco", source), source))
    assert samples and not any(
        s.rejection and s.rejection.reason == "reader_error" for s in samples
    )


def test_parquet_reader_never_raises(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "image": "/etc/passwd", "conversations": "[]", "fields": "[1]"},
        {"id": "b", "image": None, "conversations": None, "fields": '{"x": 1}'},
        {"id": "c", "image": "ok.png", "conversations": None, "fields": "{bad"},
        {"id": None, "image": "", "conversations": None, "fields": None, "scores": "null"},
    ]
    source = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    samples = list(open_reader("parquet", source, materialize_dir=tmp_path / "m"))
    assert len(samples) == len(rows)
    assert samples[0].rejection is not None and samples[0].rejection.reason == (
        "image_outside_root"
    )


def test_json_array_inputs_are_counted_for_progress(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """HoneyPipe's input is often one JSON array: its progress said "phase 1/2: ? samples"."""
    import logging

    from mmrecipe.executor.progress import ProgressView
    from mmrecipe.io.base import count_json_records

    rows = [{"id": str(i), "conversations": []} for i in range(5)]
    (tmp_path / "a.json").write_text("\ufeff" + json.dumps(rows, indent=1))
    (tmp_path / "b.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "bad.json").write_text("[{")
    assert open_reader("auto", tmp_path / "a.json").count() == 5
    assert count_json_records(tmp_path / "b.json") == 5  # JSONL under .json
    assert count_json_records(tmp_path / "bad.json") is None
    with caplog.at_level(logging.INFO, logger="mmrecipe"):
        ProgressView(quiet=True).start_phase(0, 2, 5, ["filter"])
        ProgressView(quiet=True).start_phase(0, 2, None, ["filter"])
    text = caplog.text
    assert "phase 1/2: 5 samples" in text and "not counted in advance" in text
    assert "?" not in text
