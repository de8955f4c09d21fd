"""vlm_generate end to end through the CLI against a counting OpenAI-compatible server: answers
land in the output, reruns and redone shards never pay twice for finished work, ``--no-cache``
pays again, the API key never reaches the run dir; and its reject reasons."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.context import OpContext
from mmrecipe.errors import BackendError
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.records import data_records

SECRET = "sk-e2e-91b3c7d5a0f2"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    srv = FakeOpenAIServer("plain", api_key=SECRET)
    srv.start()
    yield srv
    srv.stop()


def make_images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", (24, 24), (i * 40 % 256, 100, 200 - i * 20)).save(folder / f"{i:02d}.png")


def write_recipe(path: Path) -> Path:
    recipe = {
        "name": "recaption",
        "input": {"format": "image_folder"},
        "backends": {
            "mllm": {
                "type": "openai",
                "model": "fake-vlm",
                "base_url": "http://127.0.0.1:1/v1",  # replaced with --set
                "api_key_env": "MMRECIPE_E2E_KEY",
                "max_retries": 1,
            }
        },
        "ops": [
            {"op": "image_intake", "name": "intake"},
            {
                "op": "vlm_generate",
                "name": "caption",
                "backend": "mllm",
                "prompt": "Describe {source_file} in one sentence.",
                "output_field": "caption",
                "as_assistant_turn": True,
            },
        ],
        "output": {"formats": ["llava"], "keep_fields": ["caption"]},
        "executor": {"shard_size": 2},
    }
    path.write_text(yaml.safe_dump(recipe))
    return path


def run_cli(recipe: Path, images: Path, run_dir: Path, url: str, *extra: str):
    result = CliRunner().invoke(
        main,
        [
            *("run", str(recipe), "--input", str(images), "-o", str(run_dir), "--quiet"),
            *("--set", f"backends.mllm.base_url={url}", *extra),
        ],
        env={"MMRECIPE_E2E_KEY": SECRET},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return json.loads((run_dir / "stats.json").read_text())


def test_recaption_resume_cache_and_no_cache(tmp_path, server):
    images, run_dir = tmp_path / "imgs", tmp_path / "run"
    make_images(images, 6)
    recipe = write_recipe(tmp_path / "recipe.yaml")

    stats = run_cli(recipe, images, run_dir, server.base_url)
    assert stats["totals"] == {"input": 6, "kept": 6, "rejected": 0}
    assert stats["steps"]["caption"]["usage"]["mllm"]["requests"] == 6
    assert sum(server.answered.values()) == 6 and server.repeated() == {}
    records = data_records(run_dir / "data")
    assert len(records) == 6
    first = records[0]
    assert first["caption"].startswith("answer to: Describe 00.png in one sentence.")
    assert first["conversations"][0]["value"].startswith("<image>")
    assert first["conversations"][1]["value"] == first["caption"]

    # a rerun into the same dir: every shard is finished, the server sees nothing
    run_cli(recipe, images, run_dir, server.base_url)
    assert sum(server.answered.values()) == 6

    # a finished shard's marker is lost: the shard is redone from the cache, not the server
    with sqlite3.connect(run_dir / "state" / "state.sqlite") as db:
        db.execute("DELETE FROM shards WHERE shard = 1")
    stats = run_cli(recipe, images, run_dir, server.base_url)
    assert sum(server.answered.values()) == 6 and server.repeated() == {}
    assert stats["steps"]["caption"]["usage"]["mllm"]["cache_hits"] == 2
    assert stats["totals"]["kept"] == 6

    # --no-cache pays again for the redone shard
    with sqlite3.connect(run_dir / "state" / "state.sqlite") as db:
        db.execute("DELETE FROM shards WHERE shard = 1")
    run_cli(recipe, images, run_dir, server.base_url, "--no-cache")
    assert sum(server.answered.values()) == 8 and len(server.repeated()) == 2

    # the key was sent to the server, and is nowhere under the run dir
    assert server.headers_seen[0]["Authorization"] == f"Bearer {SECRET}"
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def run_op(op, samples: list[Sample]) -> list[Sample]:
    async def go():
        try:
            return await op.aprocess_batch(samples)
        finally:
            await op.ctx.aclose()

    return asyncio.run(go())


def make_op(tmp_path: Path, url: str, vision: bool = True, **params):
    spec = {"type": "openai", "model": "m", "base_url": url, "max_retries": 0, "vision": vision}
    ctx = OpContext(run_dir=tmp_path / "run", backend_specs={"mllm": spec})
    op = build_op("vlm_generate", "gen", {"backend": "mllm", **params})
    op.setup(ctx)
    return op


def test_rejects_with_reasons_and_keeps_the_trace(tmp_path):
    srv = FakeOpenAIServer("plain", faults={"broken": "500", "blank": "empty"})
    url = srv.start()
    try:
        path = tmp_path / "a.png"
        Image.new("RGB", (10, 10)).save(path)
        samples = [
            Sample(id=str(i), images=[ImageRef(path=str(path))], fields={"topic": topic})
            for i, topic in enumerate(["cats", "broken", "blank"])
        ] + [Sample(id="3", images=[ImageRef(path=str(path))])]
        op = make_op(tmp_path, url, prompt="Say {topic}.", system="Be brief.", n=2)
        out = run_op(op, samples)
    finally:
        srv.stop()
    ok, broken, blank, missing = out
    assert ok.rejection is None
    assert (
        ok.fields["response"][0] == "answer to: Say cats. [images=1]"
        and len(ok.fields["response"]) == 2
    )
    trace = ok.trace["gen"]
    assert trace["request"]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert trace["request"]["messages"][1]["content"] == "<image>\nSay cats."
    assert trace["response"]["prompt_tokens"] > 0
    assert broken.rejection.reason == "model_error" and "HTTP 500" in broken.rejection.detail
    assert broken.trace["gen"]["response"]["error"]
    assert blank.rejection.reason == "empty_output"
    assert missing.rejection.reason == "missing_field" and "topic" in missing.rejection.detail


def test_contract_names_the_prompt_fields():
    op = build_op("vlm_generate", "g", {"backend": "b", "prompt": 'Use {caption} and {"json": 1}'})
    assert op.reads == ("images", "fields.caption")
    assert "fields.response" in op.writes


def test_setup_requires_vision(tmp_path):
    srv = FakeOpenAIServer("plain")
    url = srv.start()
    try:
        with pytest.raises(BackendError, match=r"step 'gen': .* lacks vision"):
            make_op(tmp_path, url, prompt="hi", vision=False)
        make_op(tmp_path, url, prompt="hi", use_images=False, vision=False)
    finally:
        srv.stop()


@pytest.mark.slow
def test_killed_run_resumes_without_paying_twice(tmp_path):
    """SIGKILL mid-run, rerun into the same dir: all samples once in the output, and the server
    answered at most the request in flight at the kill twice."""
    import os
    import signal
    import subprocess
    import sys
    import time

    srv = FakeOpenAIServer("plain", api_key=SECRET, delay_s=0.15)
    url = srv.start()
    try:
        images, run_dir = tmp_path / "imgs", tmp_path / "run"
        make_images(images, 8)
        recipe = write_recipe(tmp_path / "recipe.yaml")
        overrides = ["executor.shard_size=1", "executor.shards_in_flight=1"]
        cmd = [sys.executable, "-m", "mmrecipe", "run", str(recipe), "--input", str(images)]
        cmd += ["-o", str(run_dir), "--quiet", "--set", f"backends.mllm.base_url={url}"]
        for o in overrides:
            cmd += ["--set", o]
        env = {**os.environ, "MMRECIPE_E2E_KEY": SECRET}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        db = run_dir / "state" / "state.sqlite"
        deadline = time.time() + 60
        done = 0
        while time.time() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    with sqlite3.connect(db) as conn:
                        done = conn.execute("SELECT COUNT(*) FROM shards").fetchone()[0]
                except sqlite3.Error:
                    done = 0
            if done >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert 3 <= done < 8
        stats = run_cli(recipe, images, run_dir, url, *(x for o in overrides for x in ("--set", o)))
    finally:
        srv.stop()
    assert stats["totals"]["kept"] == 8
    ids = [r["id"] for r in data_records(run_dir / "data")]
    assert len(ids) == len(set(ids)) == 8
    assert len(srv.answered) == 8 and len(srv.repeated()) <= 1


def test_lowest_nll_keeps_the_most_confident_answer(tmp_path, tiny_llava_dir):
    """NLL reject sampling with real token logprobs (the tiny model in process)."""
    path = tmp_path / "a.png"
    Image.new("RGB", (20, 20), (10, 200, 30)).save(path)
    spec = {"type": "transformers", "model": str(tiny_llava_dir), "device": "cpu"}
    ctx = OpContext(run_dir=tmp_path / "run", backend_specs={"mllm": spec})
    params = {"backend": "mllm", "prompt": "Say something.", "n": 4, "temperature": 1.0}
    op = build_op(
        "vlm_generate",
        "respond",
        {**params, "select": "lowest_nll", "max_tokens": 8, "as_assistant_turn": True},
    )
    op.setup(ctx)
    (sample,) = run_op(op, [Sample(id="0", images=[ImageRef(path=str(path))])])
    assert sample.rejection is None
    response = sample.trace["respond"]["response"]
    nlls = response["mean_nll"]
    assert len(nlls) == 4 and sample.scores["response_nll"] == pytest.approx(min(nlls), abs=1e-5)
    best = response["texts"][nlls.index(min(nlls))].strip()
    assert sample.fields["response"] == best
    assert sample.messages[-1] == {"role": "assistant", "content": best}


def test_lowest_nll_needs_several_sampled_answers():
    with pytest.raises(Exception, match="lowest_nll needs n >= 2 and temperature > 0"):
        build_op("vlm_generate", "g", {"backend": "b", "prompt": "x", "select": "lowest_nll"})


def test_a_server_gone_mid_run_stops_the_run_and_a_rerun_finishes(tmp_path):
    """A dead server is no sample's fault: the run stops (no shard of rejects is marked
    finished), and once the server is back the same command finishes every sample once."""
    import threading

    from mmrecipe.errors import BackendUnavailable

    answered = []
    srv = FakeOpenAIServer("plain", api_key=SECRET)

    def die_after_two(body):
        answered.append(body)
        if len(answered) == 2:
            threading.Timer(0.0, srv.stop).start()
        return None

    srv.responder = die_after_two
    url = srv.start()
    images, run_dir = tmp_path / "imgs", tmp_path / "run"
    make_images(images, 6)
    recipe = write_recipe(tmp_path / "recipe.yaml")
    args = ["run", str(recipe), "--input", str(images), "-o", str(run_dir), "--quiet"]
    args += ["--set", f"backends.mllm.base_url={url}", "--set", "executor.shard_size=1"]
    args += ["--set", "executor.shards_in_flight=1", "--set", "backends.mllm.backoff_s=0.01"]
    result = CliRunner().invoke(main, args, env={"MMRECIPE_E2E_KEY": SECRET})
    assert isinstance(result.exception, BackendUnavailable), result.output
    assert "rerun the same command to resume" in str(result.exception)
    assert not list((run_dir / "rejects").glob("*.jsonl"))  # nothing rejected for the outage

    back = FakeOpenAIServer("plain", api_key=SECRET, port=srv.port)
    back.start()
    try:
        stats = run_cli(recipe, images, run_dir, back.base_url, "--set", "executor.shard_size=1")
    finally:
        back.stop()
    assert stats["totals"] == {"input": 6, "kept": 6, "rejected": 0}
    ids = [r["id"] for r in data_records(run_dir / "data")]
    assert len(ids) == len(set(ids)) == 6
