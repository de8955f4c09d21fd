"""The dataset root: every way a record can name a file outside it is refused with a reason
before anything is opened; ``allow_outside_root`` and ``allow_remote`` open exactly what they
say; downloads are capped, typed, timed out, cached and stored where the run says."""

from __future__ import annotations

import asyncio
import http.server
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from mmrecipe.backends.base import ChatRequest, SamplingParams
from mmrecipe.backends.openai import OpenAIBackend
from mmrecipe.cli import main
from mmrecipe.io import open_reader
from mmrecipe.io.base import ImageRefused, ImageRoot, default_image_root, resolve_image
from mmrecipe.sample import ImageRef
from mmrecipe.testing.openai_server import FakeOpenAIServer


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "ds"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.png").write_bytes(b"png")
    (tmp_path / "outside.png").write_bytes(b"secret")
    os.symlink(root / "sub" / "a.png", root / "inside-link.png")
    os.symlink(tmp_path / "outside.png", root / "out-link.png")
    os.symlink(tmp_path, root / "out-dir")  # a folder symlink out of the root
    os.symlink(root / "loop-b", root / "loop-a")
    os.symlink(root / "loop-a", root / "loop-b")
    os.mkfifo(root / "pipe.png")  # reading it would block the run forever
    return root


def _reason(name: object, root: Path | ImageRoot) -> str:
    with pytest.raises(ImageRefused) as err:
        resolve_image(name, root)  # type: ignore[arg-type]
    return err.value.reason


def test_names_inside_the_root_resolve_to_real_paths(tree: Path) -> None:
    a = str((tree / "sub" / "a.png").resolve())
    assert resolve_image("sub/a.png", tree) == a
    assert resolve_image("sub/../sub/a.png", tree) == a
    assert resolve_image(str(tree / "sub" / "a.png"), tree) == a
    assert resolve_image("inside-link.png", tree) == a
    assert resolve_image("out-dir/ds/sub/a.png", tree) == a  # out and back in: the file is in
    assert resolve_image("file://" + a, tree) == a
    assert resolve_image("sub/missing.png", tree).endswith("missing.png")  # intake says missing


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../outside.png", "image_outside_root"),
        ("sub/../../outside.png", "image_outside_root"),
        ("/etc/passwd", "image_outside_root"),
        ("~/.ssh/id_rsa", "image_outside_root"),
        ("file:///etc/passwd", "image_outside_root"),
        ("file://evil.example/etc/passwd", "unsupported_url"),
        ("ftp://example.com/a.png", "unsupported_url"),
        ("s3://bucket/a.png", "unsupported_url"),
        ("out-link.png", "image_outside_root"),
        ("out-dir/outside.png", "image_outside_root"),
        ("loop-a", "unresolvable_path"),
        ("pipe.png", "not_a_file"),
        ("sub", "not_a_file"),
        ("http://127.0.0.1:9/a.png", "remote_image_not_allowed"),
        ("", "bad_image_path"),
        ("a\x00.png", "bad_image_path"),
        (42, "bad_image_path"),
        (None, "bad_image_path"),
    ],
)
def test_names_leaving_the_root_are_refused(tree: Path, name: object, reason: str) -> None:
    assert _reason(name, tree) == reason


def test_allow_outside_root_opens_exactly_that(tree: Path) -> None:
    loose = ImageRoot(tree, allow_outside_root=True)
    assert resolve_image("../outside.png", loose) == str((tree.parent / "outside.png").resolve())
    assert _reason("http://127.0.0.1:9/a.png", loose) == "remote_image_not_allowed"


def test_several_roots(tree: Path) -> None:
    other = tree.parent / "other"
    other.mkdir()
    (other / "b.png").write_bytes(b"png")
    both = ImageRoot([tree, other])
    assert resolve_image("sub/a.png", both) == str((tree / "sub" / "a.png").resolve())
    assert resolve_image(str(other / "b.png"), both) == str((other / "b.png").resolve())
    assert resolve_image("../other/b.png", both) == str((other / "b.png").resolve())
    assert _reason("../outside.png", both) == "image_outside_root"


def test_a_refusal_never_opens_the_file(tree: Path) -> None:
    secret = tree.parent / "outside.png"
    secret.chmod(0)  # opening it would fail loudly; resolving must not try
    try:
        assert _reason(str(secret), tree) == "image_outside_root"
    finally:
        secret.chmod(0o644)


def test_default_root_is_the_file_folder_or_the_run_dir(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text("")
    assert default_image_root(tmp_path / "x.jsonl") == tmp_path
    run = tmp_path / "run"
    (run / "data" / "parquet").mkdir(parents=True)
    (run / "state").mkdir()
    (run / "recipe.yaml").write_text("name: x\n")
    assert default_image_root(run / "data" / "shard-00000.jsonl") == run
    assert default_image_root(run / "data" / "parquet" / "shard-00000.parquet") == run


def test_convert_of_a_run_output_finds_the_run_images(tmp_path: Path) -> None:
    """A run's data/ names images under RUN/images/: converting it needs no --image-root."""
    run = tmp_path / "run"
    (run / "state").mkdir(parents=True)
    (run / "recipe.yaml").write_text("name: x\n")
    (run / "images").mkdir()
    Image.new("RGB", (8, 8)).save(run / "images" / "n.png")
    (run / "data").mkdir()
    record = {
        "id": "a",
        "image": "images/n.png",
        "conversations": [{"from": "human", "value": "hi"}],
    }
    (run / "data" / "shard-00000.jsonl").write_text(json.dumps(record) + "\n")
    result = CliRunner().invoke(
        main,
        [
            "convert",
            str(run / "data" / "shard-00000.jsonl"),
            str(tmp_path / "o.parquet"),
            "--to",
            "parquet",
        ],
    )
    assert result.exit_code == 0 and "wrote 1 record(s)" in result.output, result.output

    # a record whose image lies where the run read it, outside the run dir: name both roots
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (8, 8)).save(photos / "p.png")
    record = {**record, "id": "b", "image": str(photos / "p.png")}
    (run / "data" / "shard-00001.jsonl").write_text(json.dumps(record) + "\n")
    args = ["convert", str(run / "data" / "shard-00001.jsonl"), str(tmp_path / "p.parquet")]
    alone = CliRunner().invoke(main, [*args, "--to", "parquet"])
    assert "skipped 1 image_outside_root" in alone.output, alone.output
    # 0 of N written is a failure that names the fix, not the run's root on its own
    assert alone.exit_code == 1 and "wrote 0 of 1 record(s)" in alone.output
    assert "--image-root DIR" in alone.output
    (run / "recipe.yaml").write_text(f"name: x\ninput: {{path: {photos}}}\n")
    hinted = CliRunner().invoke(main, [*args, "--to", "parquet"])
    assert hinted.exit_code == 1
    assert f"this run read its images from {photos}" in " ".join(hinted.output.split())
    both = CliRunner().invoke(
        main, [*args, "--to", "parquet", "--image-root", str(run), "--image-root", str(photos)]
    )
    assert "wrote 1 record(s)" in both.output, both.output


def test_convert_image_root_and_allow_outside_root(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "pic.png")
    (tmp_path / "ds").mkdir()
    src = tmp_path / "ds" / "in.jsonl"
    # an absolute name: outside the default root (ds/), inside the root the user gives
    record = {
        "id": "a",
        "image": str(tmp_path / "pic.png"),
        "conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}],
    }
    src.write_text(json.dumps(record) + "\n")

    def convert(*extra: str, code: int = 0) -> str:
        out = CliRunner().invoke(
            main, ["convert", str(src), str(tmp_path / "o.jsonl"), "--to", "llava", *extra]
        )
        assert out.exit_code == code, out.output
        return out.output

    refused = convert(code=1)
    assert "skipped 1 image_outside_root" in refused and "--image-root DIR" in refused
    assert "wrote 1 record(s)" in convert("--image-root", str(tmp_path))
    assert "wrote 1 record(s)" in convert("--allow-outside-root")


def test_run_image_root_and_allow_outside_root(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "pic.png")
    (tmp_path / "ds").mkdir()
    src = tmp_path / "ds" / "in.jsonl"
    record = {
        "id": "a",
        "image": str(tmp_path / "pic.png"),
        "conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}],
    }
    src.write_text(json.dumps(record) + "\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\ninput: {format: llava}\noutput: {formats: [parquet]}\n")

    def kept(name: str, *extra: str) -> int:
        args = ["run", str(recipe), "--input", str(src), "-o", str(tmp_path / name), "--quiet"]
        out = CliRunner().invoke(main, [*args, *extra])
        assert out.exit_code == 0, out.output
        return json.loads((tmp_path / name / "stats.json").read_text())["totals"]["kept"]

    assert kept("default") == 0
    assert kept("root", "--image-root", str(tmp_path)) == 1
    assert kept("allowed", "--set", "input.allow_outside_root=true") == 1
    args = ["run", str(recipe), "--input", str(src), "-o", str(tmp_path / "x")]
    missing = CliRunner().invoke(main, [*args, "--image-root", str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "not a folder" in str(missing.exception)


# remote images --------------------------------------------------------------------------
PNG = io.BytesIO()
Image.new("RGB", (9, 9), (1, 2, 3)).save(PNG, format="PNG")


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - reset per server
    lock = threading.Lock()
    inflight = 0
    max_inflight = 0

    def do_GET(self) -> None:
        cls = type(self)
        cls.hits.append(self.path)
        if self.path == "/slow.png":
            time.sleep(1.0)
        if self.path.startswith("/par/"):  # records how many downloads overlap
            with cls.lock:
                cls.inflight += 1
                cls.max_inflight = max(cls.max_inflight, cls.inflight)
            time.sleep(0.2)
            with cls.lock:
                cls.inflight -= 1
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        if self.path == "/missing.png":
            self.send_error(404)
            return
        body = PNG.getvalue() if self.path != "/big.png" else b"\x89PNG" + b"0" * 5000
        ctype = "text/html" if self.path == "/page.png" else "image/png"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if self.path != "/chunked.png":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if self.path != "/chunked.png" else b"0" * 5000)

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the time-out case) is expected


@pytest.fixture
def site() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type(
        "H",
        (_Handler,),
        {"hits": [], "lock": threading.Lock(), "inflight": 0, "max_inflight": 0},
    )
    server = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


def test_remote_images_are_fetched_once_into_the_given_folder(
    tmp_path: Path, site: tuple[str, type[_Handler]]
) -> None:
    url, handler = site
    root = ImageRoot(
        tmp_path, allow_remote=True, remote_dir=tmp_path / "remote", allow_private_hosts=True
    )
    first = resolve_image(f"{url}/a.png", root)
    again = resolve_image(f"{url}/a.png", root)
    assert first == again and Path(first).parent == tmp_path / "remote"
    assert Path(first).read_bytes() == PNG.getvalue() and first.endswith(".png")
    assert handler.hits == ["/a.png"]


def test_remote_downloads_overlap_and_keep_the_record_order(
    tmp_path: Path, site: tuple[str, type[_Handler]]
) -> None:
    url, handler = site
    src = tmp_path / "in.jsonl"
    rows = [{"id": f"r{i}", "image": f"{url}/par/{i}.png", "conversations": []} for i in range(12)]
    rows.insert(5, {"id": "bad", "image": f"{url}/page.png", "conversations": []})
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    root = ImageRoot(
        tmp_path,
        allow_remote=True,
        remote_dir=tmp_path / "r",
        remote_workers=4,
        allow_private_hosts=True,
    )
    samples = list(open_reader("llava", src, image_root=root))
    assert [s.id for s in samples if not s.rejected] == [r["id"] for r in rows if r["id"] != "bad"]
    assert samples[5].rejection is not None and samples[5].rejection.reason == "remote_not_image"
    assert 1 < handler.max_inflight <= 4


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/page.png", "remote_not_image"),
        ("/big.png", "remote_too_large"),
        ("/chunked.png", "remote_too_large"),
        ("/missing.png", "remote_fetch_failed"),
        ("/redirect", "remote_fetch_failed"),
        ("/slow.png", "remote_fetch_failed"),
    ],
)
def test_remote_limits(
    tmp_path: Path, site: tuple[str, type[_Handler]], path: str, reason: str
) -> None:
    url, _ = site
    root = ImageRoot(
        tmp_path,
        allow_remote=True,
        remote_dir=tmp_path / "remote",
        allow_private_hosts=True,
        remote_max_bytes=1000,
        remote_timeout_s=0.3,
    )
    assert _reason(url + path, root) == reason
    assert not any(p.suffix != ".tmp" for p in (tmp_path / "remote").glob("*"))


def test_openai_backend_never_forwards_an_image_url() -> None:
    """Even if an op or a samples file puts a URL in an ImageRef, the server never sees it."""
    with FakeOpenAIServer("plain") as server:
        backend = OpenAIBackend(name="m", model="fake-vlm", base_url=server.base_url)
        request = ChatRequest(
            messages=[{"role": "user", "content": "<image>\nhi"}],
            images=[ImageRef(path="https://example.com/a.png")],
        )

        async def go() -> str | None:
            try:
                [generation] = await backend.generate([request], SamplingParams())
            finally:
                await backend.aclose()
            return generation.error

        error = asyncio.run(go())
        assert error is not None and "not forwarded" in error
        assert "example.com" not in json.dumps(server.bodies)
