"""A rerun after the input changed ends exactly like a fresh run over the new input: images
added to or deleted from the folder, a JSONL line edited; model answers already paid for come
from the request cache; the progress line says what changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.testing.openai_server import FakeOpenAIServer


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    srv = FakeOpenAIServer("plain")
    srv.start()
    yield srv
    srv.stop()


def image(folder: Path, name: str, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (20, 20), (seed * 37 % 256, seed * 11 % 256, 90)).save(folder / name)


def recipe(path: Path, with_dedup: bool = False, model: bool = True) -> Path:
    ops: list[dict] = [{"op": "set_fields", "name": "tag", "values": {"domain": "test"}}]
    ops += [
        {
            "op": "vlm_generate",
            "name": "caption",
            "backend": "mllm",
            "prompt": "Describe {source_file}.",
            "output_field": "caption",
            "as_assistant_turn": True,
        }
    ][: int(model)]
    if with_dedup:
        ops.append({"op": "exact_dedup", "name": "dedup", "include_text": True})
    spec = {
        "name": "input-resume",
        "input": {"format": "image_folder"},
        "backends": {
            "mllm": {
                "type": "openai",
                "model": "fake",
                "base_url": "http://127.0.0.1:1/v1",
                "server": "openai",
                "max_retries": 0,
            }
        },
        "ops": ops,
        "output": {"formats": ["llava", "sharegpt"], "keep_fields": ["caption"]},
        "executor": {"shard_size": 4},
    }
    path.write_text(yaml.safe_dump(spec))
    return path


def run(recipe_path: Path, data: Path, out: Path, url: str, fmt: str | None = None) -> str:
    args = ["run", str(recipe_path), "--input", str(data), "-o", str(out), "--quiet"]
    args += ["--set", f"backends.mllm.base_url={url}"]
    if fmt:
        args += ["--set", f"input.format={fmt}"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the log may wrap lines


def records(out: Path) -> dict[str, list[str]]:
    got = {}
    for folder in ("data", "data/sharegpt", "samples", "rejects"):
        lines = [line for f in sorted((out / folder).glob("*.jsonl")) for line in f.open()]
        got[folder] = sorted(_strip_cached(line) for line in lines)
    got["totals"] = [json.dumps(json.loads((out / "stats.json").read_text())["totals"])]
    return got


def _strip_cached(line: str) -> str:
    """A record without the trace's cache flags (a fresh run pays, a rerun hits the cache)."""
    rec = json.loads(line)
    for trace in (rec.get("trace") or {}).values():
        if isinstance(trace, dict) and isinstance(trace.get("response"), dict):
            trace["response"].pop("cached", None)
    return json.dumps(rec, sort_keys=True)


def test_images_added_and_deleted_rerun_equals_fresh_run(tmp_path: Path, server) -> None:
    folder = tmp_path / "imgs"
    for i in range(12):
        image(folder, f"{2 * i:03d}.png", i)
    rec = recipe(tmp_path / "r.yaml", with_dedup=True)
    out = tmp_path / "run"
    run(rec, folder, out, server.base_url)
    assert sum(server.answered.values()) == 12

    # 10 images added, most of them between existing ones (they shift later shards)
    for i in range(10):
        image(folder, f"{2 * i + 1:03d}.png", 100 + i)
    log = run(rec, folder, out, server.base_url)
    assert "input changed since the last run: 10 added, 0 removed, 0 edited" in log
    assert "new shard(s) 3-5" in log
    assert sum(server.answered.values()) == 22  # old answers came from the cache
    fresh = tmp_path / "fresh1"
    run(rec, folder, fresh, server.base_url)
    got = records(out)
    assert got == records(fresh)
    ids = [json.loads(line)["id"] for line in got["data"]]
    assert len(ids) == 22 == len(set(ids))

    # 7 images deleted (the input shrinks by two shards): they are gone from every output
    for name in ("000.png", "003.png", "010.png", "011.png", "012.png", "020.png", "022.png"):
        (folder / name).unlink()
    log = run(rec, folder, out, server.base_url)
    assert "0 added, 7 removed, 0 edited" in log and "removing shard(s) 4-5" in log
    fresh = tmp_path / "fresh2"
    run(rec, folder, fresh, server.base_url)
    assert records(out) == records(fresh)
    assert not any("000.png" in line for line in records(out)["data"])
    assert sorted(p.name for p in (out / "data").glob("*.jsonl")) == [
        f"shard-0000{i}.jsonl" for i in range(4)
    ]

    # an image replaced in place (same name, new pixels) is redone too
    image(folder, "001.png", 999)
    log = run(rec, folder, out, server.base_url)
    assert "0 added, 0 removed, 1 edited; redoing shard(s) 0" in log

    # nothing changed: nothing redone, nothing said
    log = run(rec, folder, out, server.base_url)
    assert "input changed" not in log


def test_jsonl_record_edited_is_redone(tmp_path: Path, server) -> None:
    folder = tmp_path / "imgs"
    lines = []
    for i in range(6):
        image(folder, f"{i}.png", i)
        conv = [{"from": "human", "value": f"<image>\nq{i}"}, {"from": "gpt", "value": f"a{i}"}]
        lines.append({"id": f"r{i}", "image": f"{i}.png", "conversations": conv})
    data = folder / "data.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in lines))
    rec = recipe(tmp_path / "r.yaml", model=False)
    out = tmp_path / "run"
    run(rec, data, out, server.base_url, fmt="llava")
    lines[5]["conversations"][0]["value"] = "<image>\nan edited question"
    data.write_text("".join(json.dumps(x) + "\n" for x in lines))
    log = run(rec, data, out, server.base_url, fmt="llava")
    assert "0 added, 0 removed, 1 edited; redoing shard(s) 1" in log
    fresh = tmp_path / "fresh"
    run(rec, data, fresh, server.base_url, fmt="llava")
    assert records(out) == records(fresh)
    assert any("an edited question" in line for line in records(out)["data"])
