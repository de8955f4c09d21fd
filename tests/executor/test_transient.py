"""A transient outage is not final: samples rejected for transport reasons (HTTP 5xx, time-outs,
rate limits after all retries) are marked transient, counted in ``stats.json``, and their shards
are redone by the next run; answers that succeeded come from the request cache."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.testing.openai_server import FakeOpenAIServer


def _recipe(path: Path) -> Path:
    spec = {
        "name": "transient",
        "input": {"format": "image_folder"},
        "backends": {
            "mllm": {
                "type": "openai",
                "model": "fake",
                "base_url": "http://127.0.0.1:1/v1",
                "server": "openai",
                "max_retries": 1,
                "backoff_s": 0.01,
            }
        },
        "ops": [
            {
                "op": "vlm_generate",
                "name": "caption",
                "backend": "mllm",
                "prompt": "Describe {source_file}.",
                "output_field": "caption",
            }
        ],
        "output": {"formats": ["llava"], "keep_fields": ["caption"]},
        "executor": {"shard_size": 3},
    }
    path.write_text(yaml.safe_dump(spec))
    return path


def _run(recipe: Path, images: Path, out: Path, url: str) -> tuple[dict, str]:
    args = ["run", str(recipe), "--input", str(images), "-o", str(out), "--quiet"]
    result = CliRunner().invoke(
        main, [*args, "--set", f"backends.mllm.base_url={url}"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "stats.json").read_text()), " ".join(result.output.split())


def _rejects(out: Path) -> list[dict]:
    return [
        json.loads(line) for f in sorted((out / "rejects").glob("*.jsonl")) for line in f.open()
    ]


def test_server_errors_are_transient_and_the_rerun_keeps_the_samples(tmp_path: Path) -> None:
    images = tmp_path / "imgs"
    images.mkdir()
    for i in range(6):
        Image.new("RGB", (16, 16), (i * 40, 0, 0)).save(images / f"{i}.png")
    recipe, out = _recipe(tmp_path / "r.yaml"), tmp_path / "run"
    server = FakeOpenAIServer("plain", faults={"": "500"})  # every request: HTTP 500
    server.start()
    try:
        stats, log = _run(recipe, images, out, server.base_url)
        assert "6 of the rejects were transient" in log and "rerun the same command" in log
        assert stats["totals"]["kept"] == 0
        assert stats["totals"]["rejected"] == stats["rejected_transient"] == 6
        assert stats["steps"]["caption"]["rejected_transient"] == 6
        rejects = _rejects(out)
        assert len(rejects) == 6
        assert all(r["reason"] == "model_error" and r["transient"] for r in rejects)

        # the server is fixed for all but one image: every shard with a transient reject is
        # redone; the one still failing stays transient
        server.faults = {"3.png": "500"}
        stats, log = _run(recipe, images, out, server.base_url)
        assert "redoing shard(s) 0-1: they had transient model errors" in log
        assert stats["totals"]["kept"] == 5 and stats["rejected_transient"] == 1
        assert [r["id"] for r in _rejects(out)] == [
            json.loads(line)["id"] for line in (out / "rejects" / "p0-shard-00001.jsonl").open()
        ]

        # fixed: only shard 1 is redone; its two answers that succeeded come from the cache
        server.faults = {}
        answered = sum(server.answered.values())
        stats, log = _run(recipe, images, out, server.base_url)
        assert "redoing shard(s) 1:" in log
        assert sum(server.answered.values()) == answered + 1
        assert stats["totals"] == {"input": 6, "kept": 6, "rejected": 0}
        assert stats["rejected_transient"] == 0
        assert _rejects(out) == []

        # all done: the next rerun redoes nothing
        _, log = _run(recipe, images, out, server.base_url)
        assert "redoing" not in log
        assert sum(server.answered.values()) == answered + 1
    finally:
        server.stop()


def test_a_malformed_answer_is_not_transient(tmp_path: Path) -> None:
    images = tmp_path / "imgs"
    images.mkdir()
    Image.new("RGB", (16, 16), "red").save(images / "0.png")
    server = FakeOpenAIServer("plain", faults={"": "malformed"})
    server.start()
    try:
        out = tmp_path / "run"
        stats, _ = _run(_recipe(tmp_path / "r.yaml"), images, out, server.base_url)
        assert stats["totals"]["rejected"] == 1 and stats["rejected_transient"] == 0
        assert "transient" not in _rejects(out)[0]
    finally:
        server.stop()
