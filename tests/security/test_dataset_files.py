"""The files a dataset consists of are untrusted like its records: every file a reader lists
passes the dataset-root check (a symlink out is one reject, never opened), and anything that
is not a regular file (a FIFO, a folder) is one ``not_a_file`` reject, never opened (a FIFO
would block the run forever)."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.errors import InputError
from mmrecipe.io import detect_format, open_reader
from mmrecipe.io.base import ImageRoot
from mmrecipe.sample import Sample

SECRET = "TOP-SECRET-OUTSIDE-RECORD"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def _conv(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"<image>\n{text}"}, {"role": "assistant", "content": "a"}]


def write_tar(path: Path, key: str, text: str) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in (
            (f"{key}.json", json.dumps({"id": key, "messages": _conv(text)}).encode()),
            (f"{key}.png", _png()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def write_parquet(path: Path, key: str, text: str) -> None:
    table = pa.Table.from_pylist(
        [{"id": key, "messages": _conv(text), "images": [{"bytes": _png(), "path": "a.png"}]}]
    )
    pq.write_table(table, path)


WRITERS = {"webdataset": (".tar", write_tar), "parquet": (".parquet", write_parquet)}


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """``fn()``, failing the test (not hanging it) when it blocks, as a FIFO read would."""
    box: dict[str, Any] = {}

    def go() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"blocked for {seconds} s (a FIFO was opened)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def reasons(samples: list[Sample]) -> list[str]:
    return [s.rejection.reason for s in samples if s.rejection is not None]


@pytest.mark.parametrize("fmt", ["webdataset", "parquet"])
def test_a_listed_symlink_out_of_the_root_is_one_reject(tmp_path: Path, fmt: str) -> None:
    suffix, write = WRITERS[fmt]
    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside / f"secret{suffix}", "s", SECRET)
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    write(data / f"a{suffix}", "a", "fine")
    (data / f"b_link{suffix}").symlink_to(outside / f"secret{suffix}")
    (data / "sub" / f"c{suffix}").symlink_to(data / f"a{suffix}")  # inside: read
    assert detect_format(data) == fmt
    samples = within(30, lambda: list(open_reader("auto", data, image_root=ImageRoot(data))))
    assert reasons(samples) == ["image_outside_root"]
    kept = [s.id for s in samples if not s.rejected]
    # the file and its inside link, both read; the second id names its file (ids are unique)
    assert len(kept) == 2 and kept[0] == "a" and kept[1].endswith("/a"), kept
    assert SECRET not in json.dumps([s.to_dict() for s in samples])

    out = tmp_path / "out.jsonl"
    result = within(
        60,
        lambda: CliRunner().invoke(main, ["convert", str(data), str(out), "--to", "sharegpt"]),
    )
    assert result.exit_code == 0, result.output
    assert "1 image_outside_root" in result.output
    assert SECRET not in out.read_text()
    assert not any(SECRET.encode() in p.read_bytes() for p in tmp_path.rglob("*.png"))


@pytest.mark.parametrize("fmt", ["webdataset", "parquet"])
def test_a_fifo_or_folder_in_a_dataset_folder_is_not_a_file(tmp_path: Path, fmt: str) -> None:
    suffix, write = WRITERS[fmt]
    data = tmp_path / "data"
    data.mkdir()
    write(data / f"a{suffix}", "a", "fine")
    os.mkfifo(data / f"c{suffix}")
    (data / f"d{suffix}").mkdir()
    write(data / f"e{suffix}", "e", "fine too")
    samples = within(30, lambda: list(open_reader(fmt, data, image_root=ImageRoot(data))))
    assert reasons(samples) == ["not_a_file", "not_a_file"]
    assert [s.id for s in samples if not s.rejected] == ["a", "e"]


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("llava", "in.jsonl"),
        ("llava", "in.json"),
        ("webdataset", "in.tar"),
        ("parquet", "in.parquet"),
        ("coco", "in.json"),
        ("samples", "in.jsonl"),
        ("interleaved", "in.jsonl"),
    ],
)
def test_a_fifo_as_the_data_file_is_one_reject(tmp_path: Path, fmt: str, name: str) -> None:
    from mmrecipe.io.base import GuardedReader

    fifo = tmp_path / name
    os.mkfifo(fifo)
    reader = open_reader(fmt, fifo, image_root=ImageRoot(tmp_path))
    samples = within(30, lambda: list(GuardedReader(reader, fifo)))
    assert reasons(samples) == ["not_a_file"]
    assert within(30, lambda: GuardedReader(reader, fifo).count()) in (None, 0, 1)


def test_auto_detect_refuses_a_fifo_in_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    result = within(
        30,
        lambda: CliRunner().invoke(
            main, ["convert", str(fifo), str(tmp_path / "o.jsonl"), "--to", "llava"]
        ),
    )
    assert isinstance(result.exception, InputError)  # entry() prints it in one line, exit 2
    assert "not a regular file" in str(result.exception)


@pytest.mark.parametrize("kind", ["fifo", "folder", "missing", "number", "list"])
def test_internvl_meta_entry_that_is_not_a_file_is_one_reject(tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g", "conversations": [{"from": "human", "value": "q"}]}))
    bad: Any = {"fifo": "pipe.jsonl", "folder": "dir.jsonl", "missing": "gone.jsonl"}.get(kind)
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.jsonl")
    elif kind == "folder":
        (tmp_path / "dir.jsonl").mkdir()
    elif kind == "number":
        bad = 7
    elif kind == "list":
        bad = ["a"]
    meta = tmp_path / "meta.json"
    meta.write_text(
        json.dumps({"a_bad": {"annotation": bad}, "b_good": {"annotation": "good.jsonl"}})
    )
    samples = within(
        30, lambda: list(open_reader("internvl_meta", meta, image_root=ImageRoot(tmp_path)))
    )
    expected = {"fifo": "not_a_file", "folder": "not_a_file", "missing": "missing_file"}
    assert reasons(samples) == [expected.get(kind, "malformed_record")]
    # ids are prefixed with the entry's name: the meta lists several entries
    assert [s.id for s in samples if not s.rejected] == ["b_good/g"]


def test_internvl_meta_entries_get_the_recipes_remote_caps(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "a", "conversations": []}))
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"a": {"annotation": "a.jsonl"}}))
    policy = ImageRoot(
        tmp_path,
        allow_remote=True,
        remote_dir=tmp_path / "remote",
        remote_max_bytes=1234,
        remote_timeout_s=2.5,
        remote_workers=3,
        allow_private_hosts=True,
    )
    reader = open_reader("internvl_meta", meta, image_root=policy)
    entry = reader._reader(reader.entries[0][1])  # type: ignore[attr-defined]
    root = entry.image_root
    assert isinstance(root, ImageRoot)
    assert (root.remote_max_bytes, root.remote_timeout_s, root.remote_workers) == (1234, 2.5, 3)
    assert root.allow_private_hosts
