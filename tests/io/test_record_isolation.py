"""One bad record is one reject, a broken file one reject for the file: through ``mmrecipe run``
each case ends with exit 0, the good records written (JSONL and Parquet) and the bad ones in
``rejects/`` and ``stats.json`` with a reason, never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main


def _image(path: Path, color: tuple[int, int, int] = (200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (12, 12), color).save(path)
    return path


def _conv(text: str = "Describe.") -> list[dict[str, str]]:
    return [{"from": "human", "value": f"<image>\n{text}"}, {"from": "gpt", "value": "A square."}]


def run(tmp_path: Path, fmt: str, source: Path, formats: tuple[str, ...] = ("llava", "parquet")):
    tmp_path.mkdir(parents=True, exist_ok=True)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {"name": "iso", "input": {"format": fmt}, "output": {"formats": list(formats)}}
        )
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main, ["run", str(recipe), "--input", str(source), "-o", str(out), "--quiet"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    return Outcome(out)


class Outcome:
    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir
        self.stats: dict[str, Any] = json.loads((run_dir / "stats.json").read_text())
        self.rejects = [
            json.loads(line)
            for f in sorted((run_dir / "rejects").glob("*.jsonl"))
            for line in f.read_text().splitlines()
        ]
        self.kept = [
            json.loads(line)
            for f in sorted((run_dir / "data").glob("*.jsonl"))
            for line in f.read_text().splitlines()
        ]
        self.parquet_rows = [
            row
            for f in sorted((run_dir / "data").rglob("*.parquet"))
            for row in pq.read_table(f).to_pylist()
        ]

    @property
    def reasons(self) -> dict[str, int]:
        return self.stats["reject_reasons"]


def test_lone_surrogate_and_deep_nesting_reject_one_record_each(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    deep = "[" * 5000 + "]" * 5000
    lines = [
        json.dumps({"id": "ok1", "image": "a.png", "conversations": _conv()}),
        '{"id": "sur", "image": "a.png", "conversations": [{"from": "human", "value": "x\\ud800"}]}',
        '{"id": "deep", "image": "a.png", "conversations": ' + deep + "}",
        json.dumps({"id": "pair", "image": "a.png", "conversations": _conv("emoji \U0001f600")}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out = run(tmp_path, "llava", source)
    assert [r["id"] for r in out.kept] == ["ok1", "pair"]
    assert [r["id"] for r in out.parquet_rows] == ["ok1", "pair"]
    assert out.reasons == {"read:malformed_record": 2}
    details = sorted(r["detail"] for r in out.rejects)
    assert "lone surrogate" in details[0] and "nested too deeply" in details[1]


def test_deep_json_array_file_is_one_reject_for_the_file(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text('[{"id": "x", "conversations": ' + "[" * 5000 + "]" * 5000 + "}]")
    out = run(tmp_path, "llava", source)
    assert out.stats["totals"] == {"input": 1, "kept": 0, "rejected": 1}
    assert "nested too deeply" in out.rejects[0]["detail"]


def test_utf8_bom_keeps_the_first_jsonl_record_and_reads_a_pretty_json_array(
    tmp_path: Path,
) -> None:
    _image(tmp_path / "a.png")
    records = [{"id": f"r{i}", "image": "a.png", "conversations": _conv(f"q{i}")} for i in range(3)]
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in records).encode())
    assert [r["id"] for r in run(tmp_path / "a", "auto", jsonl).kept] == ["r0", "r1", "r2"]
    array = tmp_path / "bom.json"
    array.write_bytes(b"\xef\xbb\xbf" + json.dumps(records, indent=2).encode())
    assert [r["id"] for r in run(tmp_path / "b", "auto", array).kept] == ["r0", "r1", "r2"]


def _coco(tmp_path: Path, annotations: list[dict[str, Any]]) -> Path:
    for i in (1, 2):
        _image(tmp_path / f"{i}.png")
    data = {
        "images": [{"id": 1, "file_name": "1.png"}, {"id": 2, "file_name": "2.png"}],
        "annotations": annotations,
        "categories": [{"id": 5, "name": "cat"}],
    }
    path = tmp_path / "captions.json"
    path.write_text(json.dumps(data))
    return path


def test_coco_bad_annotations_are_rejects_the_images_stay(tmp_path: Path) -> None:
    source = _coco(
        tmp_path,
        [
            {"id": 1, "image_id": 1, "caption": "a red square"},
            {"id": 2, "caption": "no image_id"},
            {"id": 3, "image_id": 2, "bbox": "10,10,5,5", "category_id": 5},
            {"id": 4, "image_id": 2, "bbox": [1, 2, 3, 4], "category_id": 5},
            {"id": 5, "image_id": 99, "caption": "names no image"},
        ],
    )
    out = run(tmp_path, "coco", source, formats=("samples", "parquet"))
    assert out.reasons == {"read:malformed_record": 3}
    fields = {r["fields"]["coco_id"]: r["fields"] for r in out.kept}
    assert fields[1]["captions"] == ["a red square"]
    assert fields[2]["boxes"] == [{"bbox": [1.0, 2.0, 3.0, 4.0], "category": "cat"}]
    assert len(out.parquet_rows) == 2


def test_latin1_coco_file_is_one_reject_with_a_hint(tmp_path: Path) -> None:
    source = _coco(tmp_path, [{"id": 1, "image_id": 1, "caption": "café"}])
    source.write_bytes(source.read_text().replace("\\u00e9", "é").encode("latin-1"))
    out = run(tmp_path, "coco", source)
    assert out.reasons == {"read:not_utf8": 1}
    assert "iconv" in out.rejects[0]["detail"]


def test_parquet_bad_rows_and_a_truncated_file(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    png = _image(tmp_path / "img.png").read_bytes()

    def row(rid: str, **over: Any) -> dict[str, Any]:
        base = {
            "id": rid,
            "messages": [{"role": "user", "content": "<image>\nHi"}],
            "images": [{"bytes": png, "path": "img.png"}],
            "fields": "{}",
        }
        base.update(over)
        return base

    rows = [
        row("good"),
        row("badfields", fields="{not json"),
        row("norole", messages=[{"role": None, "content": "hi"}]),
        row("good2"),
    ]
    pq.write_table(pa.Table.from_pylist(rows), folder / "a.parquet")
    pq.write_table(pa.Table.from_pylist([row("c1"), row("c2")]), tmp_path / "full.parquet")
    data = (tmp_path / "full.parquet").read_bytes()
    (folder / "b.parquet").write_bytes(data[: len(data) // 2])  # truncated
    pq.write_table(pa.Table.from_pylist([row("c3")]), folder / "c.parquet")
    out = run(tmp_path, "parquet", folder)
    assert [r["id"] for r in out.kept] == ["good", "good2", "c3"]
    assert out.reasons == {"read:malformed_record": 2, "read:unreadable_file": 1}


def test_symlink_loop_and_fifo_in_an_image_folder(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    _image(folder / "ok.png")
    os.symlink(folder / "loop2.png", folder / "loop1.png")
    os.symlink(folder / "loop1.png", folder / "loop2.png")
    os.symlink(folder, folder / "sub")  # a directory loop: not followed
    os.mkfifo(folder / "pipe.png")  # reading it would hang the run
    out = run(tmp_path, "image_folder", folder)
    assert [Path(r["image"]).name for r in out.kept] == ["ok.png"]
    assert out.reasons == {"read:unresolvable_path": 2, "read:not_a_file": 1}


def test_missing_image_with_parquet_output_is_a_reject_at_write(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    records = [
        {"id": "here", "image": "a.png", "conversations": _conv()},
        {"id": "gone", "image": "gone.png", "conversations": _conv()},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = run(tmp_path, "llava", source)
    assert [r["id"] for r in out.kept] == ["here"]
    assert [r["id"] for r in out.parquet_rows] == ["here"]
    assert out.reasons == {"write:missing_image": 1}
    assert out.stats["steps"]["write"]["rejected"] == {"missing_image": 1}


def test_a_reader_bug_is_a_reason_in_stats_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmrecipe.io.llava import LlavaReader

    _image(tmp_path / "a.png")
    records = [{"id": f"r{i}", "image": "a.png", "conversations": _conv()} for i in range(3)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))

    def buggy_sample(self: LlavaReader, index: int, record: dict[str, Any]) -> Any:
        if index == 1:
            return 1 / 0
        return original(self, index, record)

    original = LlavaReader._sample
    monkeypatch.setattr(LlavaReader, "_sample", buggy_sample)
    out = run(tmp_path / "record-bug", "llava", source)
    assert out.reasons == {"read:malformed_record": 1}
    assert "ZeroDivisionError" in out.rejects[0]["detail"]

    def buggy_iter(self: LlavaReader) -> Any:
        yield from list(original_iter(self))[:1]
        raise RuntimeError("reader blew up")

    original_iter = LlavaReader.__iter__
    monkeypatch.setattr(LlavaReader, "_sample", original)
    monkeypatch.setattr(LlavaReader, "__iter__", buggy_iter)
    out = run(tmp_path / "file-bug", "llava", source)
    assert len(out.kept) == 1
    assert out.reasons == {"read:reader_error": 1}
    assert "RuntimeError: reader blew up" in out.rejects[0]["detail"]


def test_a_sample_no_writer_can_convert_is_a_write_error_reject(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")

    def sample(sid: str, boxes: Any) -> dict[str, Any]:
        return {
            "id": sid,
            "images": [{"path": "a.png"}],
            "messages": [{"role": "user", "content": "<image>\nHi"}],
            "fields": {"boxes": boxes},
            "scores": {},
        }

    rows = [sample("ok", []), sample("bad", "not a list of boxes"), sample("ok2", [])]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = run(tmp_path, "samples", source, formats=("llava", "coco", "parquet"))
    assert [r["id"] for r in out.kept] == ["ok", "ok2"]  # not in one format and not in another
    assert [r["id"] for r in out.parquet_rows] == ["ok", "ok2"]
    coco = json.loads(next((out.dir / "data" / "coco").glob("*.json")).read_text())
    assert [im["mmrecipe_id"] for im in coco["images"]] == ["ok", "ok2"]
    assert out.reasons == {"write:write_error": 1}
    assert out.rejects[0]["id"] == "bad" and "coco writer" in out.rejects[0]["detail"]


def test_convert_skips_a_record_its_writer_cannot_convert(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    rows = [
        {"id": i, "images": [{"path": "a.png"}], "messages": [], "fields": {"boxes": b}}
        for i, b in (("ok", []), ("bad", [{"bbox": "x"}]), ("ok2", []))
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({**r, "scores": {}}) + "\n" for r in rows))
    result = CliRunner().invoke(
        main, ["convert", str(source), str(tmp_path / "o.json"), "--to", "coco"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 2 record(s)" in result.output and "1 write_error" in result.output
    coco = json.loads((tmp_path / "o.json").read_text())
    assert [im["mmrecipe_id"] for im in coco["images"]] == ["ok", "ok2"]
    assert [a["image_id"] for a in coco["annotations"]] == []
