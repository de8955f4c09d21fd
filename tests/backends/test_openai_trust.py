"""An untrusted model server through the CLI: an API key with a trailing ``\\r`` is stripped (it
never reaches a traceback or a log), a key the server echoes back is redacted from answers,
cache, outputs and report, and answers over ``max_answer_bytes`` are rejected, not stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.testing.openai_server import FakeOpenAIServer

SECRET = "sk-trust-5f1e9a7c"


def _setup(tmp_path: Path, n: int = 4) -> tuple[Path, Path]:
    images = tmp_path / "imgs"
    images.mkdir()
    for i in range(n):
        Image.new("RGB", (16, 16), (i * 50, 10, 10)).save(images / f"{i}.png")
    spec = {
        "name": "trust",
        "input": {"format": "image_folder"},
        "backends": {
            "mllm": {
                "type": "openai",
                "model": "fake",
                "base_url": "http://127.0.0.1:1/v1",
                "server": "openai",
                "api_key_env": "MMRECIPE_TRUST_KEY",
                "max_retries": 0,
            }
        },
        "ops": [
            {
                "op": "vlm_generate",
                "name": "caption",
                "backend": "mllm",
                "prompt": "Describe {source_file}.",
                "output_field": "caption",
                "as_assistant_turn": True,
            }
        ],
        "output": {"formats": ["llava", "parquet"], "keep_fields": ["caption"]},
        "executor": {"shard_size": 2},
    }
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(spec))
    return recipe, images


def _args(recipe: Path, images: Path, out: Path, url: str, *extra: str) -> list[str]:
    args = ["run", str(recipe), "--input", str(images), "-o", str(out), "--quiet"]
    return [*args, "--set", f"backends.mllm.base_url={url}", *extra]


def _run(recipe: Path, images: Path, out: Path, url: str, key: str, *extra: str):
    """The console command in a process of its own (its stderr is what a user sees)."""
    env = {**os.environ, "MMRECIPE_TRUST_KEY": key}
    return subprocess.run(
        [sys.executable, "-m", "mmrecipe", *_args(recipe, images, out, url, *extra)],
        env=env,
        capture_output=True,
        text=True,
    )


def _invoke(recipe: Path, images: Path, out: Path, url: str, *extra: str) -> None:
    """The command in this process (faster), with the key set."""
    result = CliRunner().invoke(
        main,
        _args(recipe, images, out, url, *extra),
        env={"MMRECIPE_TRUST_KEY": SECRET},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def _prompt(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    return " ".join(p.get("text", "") for p in content) if isinstance(content, list) else content


def test_key_whitespace_stripped_and_echoed_key_redacted_everywhere(tmp_path: Path) -> None:
    recipe, images = _setup(tmp_path)
    server = FakeOpenAIServer(
        "plain", api_key=SECRET, responder=lambda body: f"the key is {SECRET}, fine?"
    )
    server.start()
    try:
        out = tmp_path / "run"
        done = _run(recipe, images, out, server.base_url, SECRET + "\r\n", "--report")
        assert done.returncode == 0, done.stderr
        assert "\r" not in done.stderr + done.stdout and SECRET not in done.stderr
        assert server.headers_seen[-1]["Authorization"] == f"Bearer {SECRET}"
        record = json.loads((out / "data" / "shard-00000.jsonl").read_text().splitlines()[0])
        assert record["caption"] == "the key is ***, fine?"
        for path in out.rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path
        assert (out / "report.html").exists()

        # a key with whitespace inside is refused, without showing it
        bad = _run(recipe, images, tmp_path / "run2", server.base_url, "sk-trust 5f1e")
        assert bad.returncode == 2
        assert bad.stderr.strip().splitlines() == [
            "error: backend 'mllm': the API key in MMRECIPE_TRUST_KEY holds spaces or control "
            "characters inside it (13 characters); set the variable to the key alone"
        ]
    finally:
        server.stop()


def test_answers_over_max_answer_bytes_are_rejected_and_not_stored(tmp_path: Path) -> None:
    recipe, images = _setup(tmp_path)
    sizes = {"0.png": 10, "1.png": 3000, "2.png": 400_000, "3.png": 1500}

    def respond(body: dict[str, Any]) -> str:
        name = _prompt(body).split()[-1].rstrip(".")
        return "é" * (sizes[name] // 2)  # 2 bytes each in UTF-8

    server = FakeOpenAIServer("plain", api_key=SECRET, responder=respond)
    server.start()
    try:
        out = tmp_path / "run"
        cap = ("--set", "backends.mllm.max_answer_bytes=2000")
        _invoke(recipe, images, out, server.base_url, *cap)
        stats = json.loads((out / "stats.json").read_text())
        assert stats["steps"]["caption"]["rejected"] == {"answer_too_large": 2}
        assert stats["rejected_transient"] == 0
        rejects = {
            json.loads(line)["fields"]["source_file"]: json.loads(line)
            for f in (out / "rejects").glob("*.jsonl")
            for line in f.open()
        }
        assert sorted(rejects) == ["1.png", "2.png"]
        assert rejects["1.png"]["detail"] == (
            "the answer has 3000 bytes, more than max_answer_bytes (2000)"
        )
        # the trace keeps a preview of the raw answer; the 400 kB one was never read in full
        assert rejects["1.png"]["trace"]["caption"]["response"]["texts"] == ["é" * 1000]
        assert "more than max_answer_bytes (2000)" in rejects["2.png"]["detail"]
        run_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        assert run_bytes < 400_000

        # not transient: a rerun does not ask again
        answered = sum(server.answered.values())
        _invoke(recipe, images, out, server.base_url, *cap)
        assert sum(server.answered.values()) == answered
    finally:
        server.stop()


def test_a_long_answer_is_stored_once_in_the_state(tmp_path: Path) -> None:
    recipe, images = _setup(tmp_path, n=2)
    long_answer = "a long answer " * 20_000  # 280 kB: under max_answer_bytes, over BLOB_CHARS
    server = FakeOpenAIServer("plain", api_key=SECRET, responder=lambda body: long_answer)
    server.start()
    try:
        out = tmp_path / "run"
        _invoke(recipe, images, out, server.base_url)
        blobs = list((out / "state" / "answers").iterdir())
        assert len(blobs) == 1 and blobs[0].read_text() == long_answer  # one file, two answers
        state_bytes = sum(p.stat().st_size for p in (out / "state").glob("state.sqlite*"))
        assert state_bytes < 200_000
        sample = json.loads((out / "samples" / "shard-00000.jsonl").read_text().splitlines()[0])
        response = sample["trace"]["caption"]["response"]
        assert len(response["texts"][0]) == 20_000
        assert response["full_text_sha256"] == [blobs[0].stem]
        before = (out / "data" / "shard-00000.jsonl").read_text()

        # a redone shard reads the answer back from its file, not from the server
        import sqlite3

        with sqlite3.connect(out / "state" / "state.sqlite") as db:
            db.execute("DELETE FROM shards")
        answered = sum(server.answered.values())
        _invoke(recipe, images, out, server.base_url)
        assert sum(server.answered.values()) == answered
        assert (out / "data" / "shard-00000.jsonl").read_text() == before

        # a lower max_answer_bytes holds for cached answers too
        _invoke(
            recipe, images, out, server.base_url, "--set", "backends.mllm.max_answer_bytes=1000"
        )
        assert sum(server.answered.values()) == answered
        stats = json.loads((out / "stats.json").read_text())
        assert stats["steps"]["caption"]["rejected"] == {"answer_too_large": 2}
    finally:
        server.stop()
