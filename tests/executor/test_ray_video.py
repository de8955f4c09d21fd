"""``recipes/video-caption.yaml`` on a local Ray gives byte-identical ``data/`` and
``rejects/`` and the same funnel as the local executor (the frame-hash dedup barrier, shot
detection, frame files and model steps included)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from mmrecipe.executor.local import LocalExecutor  # noqa: E402
from mmrecipe.executor.ray import RayExecutor  # noqa: E402
from mmrecipe.recipe import load_recipe  # noqa: E402
from mmrecipe.testing.openai_server import FakeOpenAIServer  # noqa: E402
from mmrecipe.testing.video_script import video_script  # noqa: E402
from mmrecipe.testing.videos import video_set  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    saved = os.environ.get("PYTHONPATH")
    path = os.pathsep.join(p for p in [str(ROOT / "src"), saved or ""] if p)
    os.environ["PYTHONPATH"] = path
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.WARNING, runtime_env={"env_vars": {"PYTHONPATH": path}})  # fmt: skip
    yield
    ray.shutdown()
    if saved is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved


def outputs(run: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run)): p.read_bytes()
        for folder in ("data", "rejects")
        for p in sorted((run / folder).rglob("*"))
        if p.is_file()
    }


def test_video_caption_on_ray_is_byte_identical(local_ray: None, tmp_path: Path) -> None:
    video_set(tmp_path / "clips")
    with FakeOpenAIServer(
        "vllm", model="Qwen/Qwen2.5-VL-7B-Instruct", responder=video_script
    ) as srv:
        spec = load_recipe(
            ROOT / "recipes" / "video-caption.yaml",
            [f"input.path={tmp_path / 'clips'}", f"backends.mllm.base_url={srv.base_url}",
             "backends.mllm.model=Qwen/Qwen2.5-VL-7B-Instruct", "executor.shard_size=3"],
        )  # fmt: skip
        LocalExecutor(spec, tmp_path / "local", quiet=True).run()
        RayExecutor(spec, tmp_path / "ray", quiet=True).run()
    local, on_ray = outputs(tmp_path / "local"), outputs(tmp_path / "ray")
    assert local and on_ray == local
    a = json.loads((tmp_path / "local" / "stats.json").read_text())
    b = json.loads((tmp_path / "ray" / "stats.json").read_text())
    assert a["totals"] == b["totals"] == {"input": 8, "kept": 4, "rejected": 4}
