"""On a GPU node: Oasis on Ray with the MLLM in process (vLLM) on a GPU actor."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.recipe import load_recipe
from mmrecipe.testing.openai_server import FakeOpenAIServer, oasis_script

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "oasis.yaml"


@pytest.mark.gpu
def test_oasis_with_in_process_vllm_on_a_gpu_actor(tmp_path: Path) -> None:
    if importlib.util.find_spec("vllm") is None:
        pytest.fail("the gpu tests need vLLM: pip install 'mmrecipe[vllm]'")
    import ray

    from mmrecipe.executor.ray import RayExecutor
    from mmrecipe.testing.tiny_models import build_tiny_llava

    model = os.environ.get("MMRECIPE_VLLM_TEST_MODEL") or str(
        build_tiny_llava(tmp_path / "tiny", text_heads=1)
    )
    images = tmp_path / "images"
    images.mkdir()
    for i in range(6):
        Image.new("RGB", (32, 24), (40 * i, 90, 200)).save(images / f"{i}.png")
    mllm = (
        "backends.mllm={type: vllm, model: " + model + ", max_model_len: 512, "
        "gpu_memory_utilization: 0.3, engine_kwargs: {enforce_eager: true}}"
    )
    ray.init(num_cpus=4, num_gpus=1, include_dashboard=False, logging_level=logging.WARNING)
    try:
        with FakeOpenAIServer("plain", model="fake", responder=oasis_script) as llm:
            spec = load_recipe(
                RECIPE,
                [
                    f"input.path={images}",
                    mllm,
                    f"backends.llm.base_url={llm.base_url}",
                    "backends.llm.model=fake",
                    "ops.hook.max_tokens=32",
                    "ops.hook.min_tokens=4",
                    "executor.shard_size=3",
                ],
            )
            RayExecutor(spec, tmp_path / "run", quiet=True).run()
    finally:
        ray.shutdown()
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    assert stats["totals"]["input"] == 6
    assert stats["steps"]["hook"]["in"] == 6  # every image reached the engine on the GPU actor
    assert stats["totals"]["kept"] + stats["totals"]["rejected"] >= 6  # and is accounted for
