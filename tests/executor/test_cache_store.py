"""The run's request cache across versions and executors (local part; the Ray part is in
test_ray.py): an old run dir whose answers are in sqlite is still answered from them, and moved
into segments; ``--no-cache`` writes no segment and reads none."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from PIL import Image

from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import load_recipe
from mmrecipe.segments import SegmentCache
from mmrecipe.testing.openai_server import FakeOpenAIServer


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    srv = FakeOpenAIServer("plain")
    srv.start()
    yield srv
    srv.stop()


def setup(tmp_path: Path, url: str, field: str) -> Path:
    images = tmp_path / "images"
    if not images.exists():
        images.mkdir()
        for i in range(7):
            Image.new("RGB", (10 + i, 10), (i * 30, 9, 9)).save(images / f"i{i}.png")
    spec = {
        "name": "cache-store",
        "input": {"format": "image_folder", "path": str(images)},
        "backends": {"m": {"type": "openai", "model": "f", "base_url": url, "server": "openai"}},
        "ops": [
            {
                "op": "vlm_generate",
                "name": "cap",
                "backend": "m",
                "prompt": "Describe.",
                "output_field": field,
            }
        ],
        "output": {"formats": ["sharegpt"], "keep_fields": [field]},
        "executor": {"shard_size": 3},
    }
    path = tmp_path / f"{field}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def requests(run: Path) -> int:
    return json.loads((run / "stats.json").read_text())["cache"]["requests"]


def test_an_old_sqlite_cache_still_answers(tmp_path: Path, server, monkeypatch) -> None:
    stored: list[tuple[str, str]] = []
    put = SegmentCache.cache_put

    def record(self: SegmentCache, key: str, value: str) -> None:
        stored.append((key, value))
        put(self, key, value)

    monkeypatch.setattr(SegmentCache, "cache_put", record)
    run = tmp_path / "run"
    LocalExecutor(load_recipe(setup(tmp_path, server.base_url, "a")), run, quiet=True).run()
    monkeypatch.setattr(SegmentCache, "cache_put", put)
    assert requests(run) == 7 and len(stored) == 7
    # the run dir as an older mmrecipe left it: the answers in sqlite, no segments
    shutil.rmtree(run / "state" / "cache")
    with sqlite3.connect(run / "state" / "state.sqlite") as conn:
        conn.executemany("INSERT INTO request_cache VALUES(?, ?, 0)", stored)
    LocalExecutor(load_recipe(setup(tmp_path, server.base_url, "b")), run, quiet=True).run()
    assert requests(run) == 0  # a changed recipe, every answer from the old cache
    assert list((run / "state" / "cache").glob("*.idx"))  # moved into a segment
    with sqlite3.connect(run / "state" / "state.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM request_cache").fetchone()[0] == 0
    LocalExecutor(load_recipe(setup(tmp_path, server.base_url, "c")), run, quiet=True).run()
    assert requests(run) == 0


def test_no_cache_writes_no_segment(tmp_path: Path, server) -> None:
    run = tmp_path / "run"
    spec = load_recipe(setup(tmp_path, server.base_url, "a"))
    LocalExecutor(spec, run, quiet=True, use_cache=False).run()
    assert requests(run) == 7
    assert not list(run.glob("state/cache/*"))
    LocalExecutor(
        load_recipe(setup(tmp_path, server.base_url, "b")), run, quiet=True, use_cache=False
    ).run()
    assert requests(run) == 7  # nothing cached: paid again
