"""A hostile dataset cannot read a file outside its root: every reader's format plants
exfiltration paths (absolute, ``../``, ``~``, ``file://``, a symlink out, an ``http://`` URL) and
no byte of the outside secrets reaches any file of the run dir, any output of ``convert``, or
any request body the model server receives."""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner, Result
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.report.thumbnails import thumbnail_bytes
from mmrecipe.testing.openai_server import FakeOpenAIServer

#: a text secret (think /etc/passwd) and an image secret (a private photo) outside the root
MARKER = b"root:x:0:0:TOP-SECRET-MARKER-7f3a9c"
REASONS = {"image_outside_root", "remote_image_not_allowed"}


class _SecretHandler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []
    body: ClassVar[bytes] = b""

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def secret_site(tmp_path: Path) -> Iterator[tuple[str, type[_SecretHandler]]]:
    """An http server that would hand out the secret image to whoever asks."""
    handler = type("Handler", (_SecretHandler,), {"hits": [], "body": b""})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


@pytest.fixture
def model_server() -> Iterator[FakeOpenAIServer]:
    srv = FakeOpenAIServer("plain")
    srv.start()
    yield srv
    srv.stop()


class Planted:
    """A dataset folder with one good image and, outside it, the secrets."""

    def __init__(self, tmp_path: Path, site: str) -> None:
        rng = np.random.default_rng(7)
        self.tmp = tmp_path
        self.data = tmp_path / "data"
        self.data.mkdir()
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        self.home = tmp_path / "home"
        self.home.mkdir()
        self.text = self.outside / "passwd"
        self.text.write_bytes(MARKER + b"\n" + b"x" * 64 + b"\n")
        self.image = self.outside / "secret.png"
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(self.image)
        (self.home / "secret.png").write_bytes(self.image.read_bytes())
        (self.home / "passwd").write_bytes(self.text.read_bytes())
        self.secret_bytes = self.image.read_bytes()
        self.good = self.data / "good.png"
        Image.new("RGB", (16, 16), (10, 200, 30)).save(self.good)
        os.symlink(self.image, self.data / "link.png")
        os.symlink(self.text, self.data / "link.jpg")
        self.url = f"{site}/secret.png"

    def names(self) -> list[str]:
        """Every way a record can name an outside file."""
        names = []
        for target in (self.text, self.image):
            names += [
                str(target),
                "../outside/" + target.name,
                "sub/../../outside/" + target.name,
                "~/" + target.name,
                "file://" + str(target),
            ]
        return [*names, "/etc/passwd", "link.png", "link.jpg", self.url]

    def needles(self) -> list[bytes]:
        """What must appear nowhere: the secrets as raw bytes and as base64 (of their
        distinctive parts: every PNG of one size starts alike)."""
        encoded = base64.b64encode(self.secret_bytes)
        middle = len(encoded) // 2
        thumb = thumbnail_bytes(self.image)  # what a report would embed
        assert thumb is not None
        thumb64 = base64.b64encode(thumb)
        return [
            MARKER,
            self.secret_bytes[100:160],
            encoded[middle : middle + 40],
            base64.b64encode(self.text.read_bytes())[:24],
            thumb64[-60:-20],  # its scan data (the headers look alike in any thumbnail)
            *_etc_passwd(),
        ]


def _etc_passwd() -> list[bytes]:
    """The machine's own /etc/passwd, first line, raw and base64, when there is one."""
    try:
        line = Path("/etc/passwd").read_bytes().splitlines()[0]
    except (OSError, IndexError):
        return []
    return [line, base64.b64encode(line)[:24]] if len(line) > 8 else []


def _conv(name: str) -> list[dict[str, str]]:
    # with an answer: trainer formats (llava, openai) leave a conversation without one out
    return [
        {"from": "human", "value": f"<image>\nDescribe {len(name)}."},
        {"from": "gpt", "value": "A picture."},
    ]


def write_dataset(p: Planted, fmt: str) -> Path:
    """The planted dataset in ``fmt``: one record per attack path plus one good record."""
    names = p.names()
    good = "good.png"
    if fmt == "llava":
        path = p.data / "train.jsonl"
        rows = [{"id": f"r{i}", "image": n, "conversations": _conv(n)} for i, n in enumerate(names)]
        rows.append({"id": "good", "image": good, "conversations": _conv(good)})
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "sharegpt":
        path = p.data / "train.jsonl"
        rows = [
            {
                "id": f"r{i}",
                "images": [n],
                "messages": [
                    {"role": "user", "content": "<image>Describe."},
                    {"role": "assistant", "content": "A picture."},
                ],
            }
            for i, n in enumerate([*names, good])
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "openai":
        path = p.data / "train.jsonl"
        rows = []
        for i, n in enumerate([*names, good]):
            content = [
                {"type": "image_url", "image_url": {"url": n}},
                {"type": "text", "text": "Describe."},
            ]
            answer = {"role": "assistant", "content": "A picture."}
            rows.append({"id": f"r{i}", "messages": [{"role": "user", "content": content}, answer]})
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "samples":
        path = p.data / "train.jsonl"
        rows = [
            {
                "id": f"r{i}",
                "images": [{"path": n}],
                "messages": [
                    {"role": "user", "content": "<image>\nDescribe."},
                    {"role": "assistant", "content": "A picture."},
                ],
                "fields": {},
                "scores": {},
            }
            for i, n in enumerate([*names, good])
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "coco":
        path = p.data / "captions.json"
        images = [{"id": i, "file_name": n} for i, n in enumerate([*names, good])]
        anns = [{"id": i, "image_id": i, "caption": "a picture"} for i in range(len(images))]
        path.write_text(json.dumps({"images": images, "annotations": anns, "categories": []}))
    elif fmt == "parquet":
        path = p.data / "train.parquet"
        rows = [
            {
                "id": f"r{i}",
                "images": [{"bytes": None, "path": n}],
                "messages": [
                    {"role": "user", "content": "<image>\nDescribe."},
                    {"role": "assistant", "content": "A picture."},
                ],
            }
            for i, n in enumerate([*names, good])
        ]
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif fmt == "image_folder":
        path = p.data
    else:  # pragma: no cover
        raise AssertionError(fmt)
    return path


FORMATS = ["llava", "sharegpt", "openai", "samples", "coco", "parquet", "image_folder"]


def mmrecipe(p: Planted, *args: str, code: int = 0) -> Result:
    """The CLI in-process, with HOME pointing where ``~/secret.png`` waits."""
    env = {"HOME": str(p.home), "MMRECIPE_TEST_KEY": "unused"}
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output,
        result.exception,
    )
    assert result.exit_code == code, result.output
    return result


def _blob(folder: Path) -> bytes:
    """Every byte under ``folder``, with Parquet files decoded (their pages are compressed)."""
    out = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        out.append(path.read_bytes())
        if path.suffix == ".parquet":
            for row in pq.read_table(path).to_pylist():
                for image in row.get("images") or []:
                    out.append(image.get("bytes") or b"")
                out.append(json.dumps(row, default=str).encode())
    return b"\n".join(out)


def assert_no_secret(p: Planted, blob: bytes, where: str) -> None:
    for needle in p.needles():
        assert needle not in blob, f"a secret leaked into {where}"


def _recipe(tmp: Path, fmt: str, intake: bool) -> Path:
    ops: list[dict[str, object]] = []
    if intake:
        ops.append({"op": "image_intake", "name": "intake", "min_side": 1})
    ops.append({"op": "vlm_generate", "name": "caption", "backend": "mllm", "prompt": "Describe."})
    recipe = {
        "name": f"exfil-{fmt}",
        "input": {"format": fmt},
        "backends": {
            "mllm": {
                "type": "openai",
                "model": "fake-vlm",
                "base_url": "http://127.0.0.1:1/v1",
                "api_key_env": "MMRECIPE_TEST_KEY",
                "max_retries": 0,
            }
        },
        "ops": ops,
        "output": {"formats": ["llava", "parquet", "openai", "sharegpt", "coco"]},
    }
    path = tmp / f"recipe-{fmt}-{intake}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def _read_rejects(run: Path) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for f in sorted((run / "rejects").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]


@pytest.mark.parametrize("intake", [False, True], ids=["no-intake", "intake"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_run_never_reads_outside_the_root(
    fmt: str,
    intake: bool,
    tmp_path: Path,
    model_server: FakeOpenAIServer,
    secret_site: tuple[str, type[_SecretHandler]],
) -> None:
    site, handler = secret_site
    p = Planted(tmp_path, site)
    handler.body = p.secret_bytes
    source = write_dataset(p, fmt)
    run = tmp_path / "run"
    mmrecipe(
        p,
        "run",
        str(_recipe(tmp_path, fmt, intake)),
        "--input",
        str(source),
        "-o",
        str(run),
        "--quiet",
        "--report",  # the report's thumbnails open images too
        "--set",
        f"backends.mllm.base_url={model_server.base_url}",
    )
    assert (run / "report.html").is_file()
    assert_no_secret(p, _blob(run), f"the run dir ({fmt})")
    bodies = json.dumps(model_server.bodies).encode()
    assert_no_secret(p, bodies, "a request body")
    assert p.url.encode() not in bodies, "an image URL was forwarded to the model server"
    assert handler.hits == [], "the dataset made the run fetch a URL"

    stats = json.loads((run / "stats.json").read_text())
    assert stats["totals"]["kept"] == 1, stats  # the good image, and only it
    rejects = _read_rejects(run)
    reasons = {r["reason"] for r in rejects}
    expected = len(p.names()) if fmt != "image_folder" else 2  # the two symlinks
    assert len(rejects) == expected and reasons <= REASONS, reasons
    assert len(model_server.bodies) == 1


@pytest.mark.parametrize("to", ["parquet", "openai"])
@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "image_folder"])
def test_convert_never_embeds_outside_files(
    fmt: str, to: str, tmp_path: Path, secret_site: tuple[str, type[_SecretHandler]]
) -> None:
    site, handler = secret_site
    p = Planted(tmp_path, site)
    handler.body = p.secret_bytes
    source = write_dataset(p, fmt)
    out = tmp_path / "converted"
    suffix = {"parquet": ".parquet"}.get(to, ".jsonl")
    nothing = fmt == "coco" and to == "openai"  # captions, no conversation: nothing to train on
    done = mmrecipe(
        p, "convert", str(source), str(out / f"o{suffix}"), "--to", to, code=int(nothing)
    )
    if nothing:  # 0 of N written: a failure (exit 1)
        assert "left out of openai: 1 empty_conversation" in done.stdout, done.output
    else:
        assert "wrote 1 record(s)" in done.stdout, done.output
    assert_no_secret(p, _blob(out), f"convert output ({fmt} -> {to})")
    assert handler.hits == []


def test_allow_remote_downloads_into_the_run_dir_and_sends_bytes_not_urls(
    tmp_path: Path,
    model_server: FakeOpenAIServer,
    secret_site: tuple[str, type[_SecretHandler]],
) -> None:
    """With ``input.allow_remote: true`` the URL is fetched once by mmrecipe itself, stored in
    the run dir, and the server gets the bytes (a data URL), never the URL."""
    site, handler = secret_site
    p = Planted(tmp_path, site)
    handler.body = p.secret_bytes
    source = p.data / "remote.jsonl"
    rows = [{"id": f"u{i}", "image": p.url, "conversations": _conv("x" * i)} for i in range(2)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = tmp_path / "run"
    mmrecipe(
        p,
        "run",
        str(_recipe(tmp_path, "llava", False)),
        "--input",
        str(source),
        "-o",
        str(run),
        "--quiet",
        "--set",
        f"backends.mllm.base_url={model_server.base_url}",
        "--set",
        "input.allow_remote=true",
        "--set",
        "input.allow_private_hosts=true",  # the test's server listens on 127.0.0.1
    )
    assert handler.hits == ["/secret.png"]  # fetched once, then from the run dir's copy
    stored = list((run / "images" / "remote").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == p.secret_bytes
    bodies = json.dumps(model_server.bodies)
    assert p.url not in bodies
    assert base64.b64encode(p.secret_bytes).decode() in bodies


def test_internvl_meta_cannot_name_files_outside_its_folder(tmp_path: Path) -> None:
    """An InternVL meta JSON is a dataset too: its ``annotation`` and ``root`` stay inside the
    dataset root; an entry that leaves it is one reject, and the other entries are read."""
    from mmrecipe.io import open_reader
    from mmrecipe.io.base import ImageRoot

    secret = tmp_path / "outside" / "secret.jsonl"
    secret.parent.mkdir()
    secret.write_text('{"id": "s", "conversations": [{"from": "human", "value": "SECRET"}]}\n')
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text(
        '{"id": "x", "conversations": [{"from": "human", "value": "q"}, '
        '{"from": "gpt", "value": "a"}]}\n'
    )
    meta = data / "meta.json"
    entries = {"evil": {"root": "/", "annotation": str(secret)}, "ok": {"annotation": "a.jsonl"}}
    meta.write_text(json.dumps(entries))
    samples = list(open_reader("internvl_meta", meta, image_root=ImageRoot(data)))
    reasons = [s.rejection.reason if s.rejection else None for s in samples]
    assert reasons.count("image_outside_root") == 1
    assert all("SECRET" not in json.dumps(s.to_dict()) for s in samples)
    # the entry inside the root is read (its ids prefixed: the meta has two entries)
    assert any(s.id == "ok/x" for s in samples)
