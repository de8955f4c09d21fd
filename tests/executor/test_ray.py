"""The Ray executor gives the local executor's output, on one Ray node and on two.

The recipes and the killed worker run twice: on a local Ray (``ray.init(num_cpus=2)``) and on a
simulated two-node cluster (``ray.cluster_utils.Cluster``, one CPU per node), each started once
per module; the killed driver and the CLI on the local Ray only. The local executor's run of the
same recipe is the reference: ``data/`` and ``rejects/`` must be byte-identical, the per-step
stats equal.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.executor.local import LocalExecutor
from mmrecipe.executor.ray import RayExecutor, probe_storage
from mmrecipe.recipe import load_recipe
from mmrecipe.testing.openai_server import FakeOpenAIServer, oasis_script
from mmrecipe.testing.records import data_records

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RECIPES = ROOT / "recipes"


def _pythonpath() -> str:
    parts = [str(ROOT / "src"), str(HERE), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


@pytest.fixture(scope="module", params=["one-node", "two-nodes"])
def cluster(request: pytest.FixtureRequest) -> Iterator[str]:
    """A Ray for this module's tests; yields its address (for a second driver)."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = _pythonpath()  # workers import mmrecipe and the test plugins
    opts: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
        "runtime_env": {"env_vars": {"PYTHONPATH": os.environ["PYTHONPATH"]}},
    }
    try:
        if request.param == "one-node":
            ray.init(address="local", num_cpus=2, **opts)
            yield ray.get_runtime_context().gcs_address
            ray.shutdown()
            return
        from ray.cluster_utils import Cluster

        nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        try:
            nodes.add_node(num_cpus=1)
            nodes.wait_for_nodes()
            ray.init(address=nodes.address, **opts)
            assert len([n for n in ray.nodes() if n["Alive"]]) == 2
            yield nodes.address
        finally:
            ray.shutdown()
            nodes.shutdown()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def outputs(run: Path) -> dict[str, bytes]:
    """Every file under data/ and rejects/, by relative path."""
    return {
        str(p.relative_to(run)): p.read_bytes()
        for folder in ("data", "rejects")
        for p in sorted((run / folder).rglob("*"))
        if p.is_file()
    }


def funnel(run: Path) -> dict[str, Any]:
    stats = json.loads((run / "stats.json").read_text())
    steps = {
        name: {k: st[k] for k in ("in", "out", "rejected", "routed")}
        for name, st in stats["steps"].items()
    }
    return {"totals": stats["totals"], "steps": steps}


def run_both(
    tmp_path: Path, recipe: Path, overrides: list[str], **kw: Any
) -> tuple[Path, Path, Any]:
    spec = load_recipe(recipe, overrides)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    LocalExecutor(spec, local, quiet=True, **kw).run()
    result = RayExecutor(spec, on_ray, quiet=True, **kw).run()
    assert outputs(local) and outputs(on_ray) == outputs(local)
    assert funnel(on_ray) == funnel(local)
    return local, on_ray, result


def make_folder(folder: Path) -> None:
    folder.mkdir()
    for i in range(9):
        Image.new("RGB", (24 + i, 20), (20 * i, 100, 200)).save(folder / f"img{i}.png")
    Image.new("RGB", (24, 20), (0, 100, 200)).save(folder / "copy-of-img0.png")  # a duplicate
    Image.new("CMYK", (20, 20), (10, 20, 30, 0)).save(folder / "cmyk.jpg")  # normalized
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")


def test_curate_folder_with_dedup_barrier(cluster: str, tmp_path: Path) -> None:
    make_folder(tmp_path / "images")
    _, on_ray, _ = run_both(
        tmp_path,
        RECIPES / "curate-folder.yaml",
        [f"input.path={tmp_path / 'images'}", "executor.shard_size=4"],
    )
    stats = funnel(on_ray)
    assert stats["totals"] == {"input": 12, "kept": 10, "rejected": 2}
    assert stats["steps"]["dedup"]["rejected"] == {"exact_duplicate": 1}
    assert any((on_ray / "images" / "normalized").iterdir())


def test_quickstart_synthesis(cluster: str, tmp_path: Path) -> None:
    _, on_ray, _ = run_both(
        tmp_path,
        RECIPES / "quickstart.yaml",
        ["ops.mix.num_samples=10", "executor.shard_size=5"],
    )
    assert funnel(on_ray)["totals"]["kept"] == 10
    assert len(list((on_ray / "data" / "parquet").glob("*.parquet"))) == 2


@pytest.fixture(scope="module")
def oasis_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer("vllm", model="fake", responder=oasis_script) as server:
        yield server


def test_oasis_against_scripted_server(
    cluster: str, tmp_path: Path, oasis_server: FakeOpenAIServer
) -> None:
    make_folder(tmp_path / "images")
    url = oasis_server.base_url
    overrides = [
        f"input.path={tmp_path / 'images'}",
        f"backends.mllm.base_url={url}",
        f"backends.llm.base_url={url}",
        "backends.mllm.model=fake",
        "backends.llm.model=fake",
        "executor.shard_size=4",
    ]
    before = sum(oasis_server.answered.values())
    local, on_ray, _ = run_both(tmp_path, RECIPES / "oasis.yaml", overrides, limit=8)
    assert funnel(on_ray)["totals"]["kept"] == 7  # 8 read, the broken file rejected
    stats = json.loads((on_ray / "stats.json").read_text())
    local_stats = json.loads((local / "stats.json").read_text())
    assert stats["usage"] == local_stats["usage"]  # the same requests paid, the same cache hits
    assert stats["steps"]["hook"]["usage"]["mllm"]["requests"] == 6  # img0 twice: paid once
    assert stats["cache_entries"] > 0  # the segments the model actors wrote themselves
    paid = sum(oasis_server.answered.values()) - before

    # re-thresholding on Ray: every answer comes back from the workers' segments
    spec = load_recipe(RECIPES / "oasis.yaml", [*overrides, "ops.qc_gate.solvability_min=4"])
    RayExecutor(spec, on_ray, quiet=True, limit=8).run()
    assert sum(oasis_server.answered.values()) - before == paid
    stats = json.loads((on_ray / "stats.json").read_text())
    assert stats["steps"]["qc_solvability"]["usage"]["mllm"]["cache_hits"] == 7


def test_a_run_moves_between_executors_answering_from_the_cache(
    cluster: str, tmp_path: Path, oasis_server: FakeOpenAIServer
) -> None:
    """One run dir under both executors: a recipe change rerun on the other executor pays no
    model call (the segments one wrote, the other reads), and both end with the same files."""
    make_folder(tmp_path / "images")
    url = oasis_server.base_url
    overrides = [
        f"input.path={tmp_path / 'images'}",
        f"backends.mllm.base_url={url}",
        f"backends.llm.base_url={url}",
        "backends.mllm.model=fake",
        "backends.llm.model=fake",
        "executor.shard_size=3",
    ]
    recipe = RECIPES / "oasis.yaml"
    first = load_recipe(recipe, overrides)
    changed = load_recipe(recipe, [*overrides, "ops.qc_gate.solvability_min=4"])
    local_first, ray_first = tmp_path / "local-first", tmp_path / "ray-first"
    LocalExecutor(first, local_first, quiet=True, limit=8).run()
    RayExecutor(first, ray_first, quiet=True, limit=8).run()
    assert outputs(local_first) == outputs(ray_first)
    paid = sum(oasis_server.answered.values())

    RayExecutor(changed, local_first, quiet=True, limit=8).run()  # local -> Ray
    LocalExecutor(changed, ray_first, quiet=True, limit=8).run()  # Ray -> local
    assert sum(oasis_server.answered.values()) == paid  # not one model call more
    for run in (local_first, ray_first):
        stats = json.loads((run / "stats.json").read_text())
        assert stats["cache"]["requests"] == 0 and stats["cache"]["hits"] > 0
    assert outputs(local_first) == outputs(ray_first)


KILL_RECIPE = """
name: ray-faults
plugins: [ray_plugin, slow_plugin]
input: {{format: llava}}
ops:
  - {{op: test_where, name: where, log: "{where_log}"}}
  - {{op: test_die_once, name: die_task, marker: "{task_marker}", at: s0013}}
  - {{op: test_slow_upper, name: upper, delay_s: {delay}}}
  - {{op: exact_dedup, name: dedup, include_text: true}}
  - {{op: test_die_once_io, name: die_actor, marker: "{actor_marker}", at: s0021}}
  - {{op: set_fields, name: tag, values: {{domain: test}}}}
output: {{formats: [llava, sharegpt]}}
executor: {{shard_size: 10, shards_in_flight: 2}}
"""


def write_llava(path: Path, n: int) -> None:
    with open(path, "w") as fh:
        for i in range(n):
            turns = [
                {"from": "human", "value": f"question {i % 30}"},
                {"from": "gpt", "value": f"answer {i % 30}"},
            ]
            fh.write(json.dumps({"id": f"s{i:04d}", "conversations": turns}) + "\n")
        fh.write("{not json\n")


def kill_recipe(tmp_path: Path, name: str, delay: float, armed: bool) -> Path:
    markers = {"task_marker": tmp_path / f"{name}-task", "actor_marker": tmp_path / f"{name}-actor"}
    if not armed:
        for marker in markers.values():
            marker.write_text("disarmed")
    markers["where_log"] = tmp_path / f"{name}-nodes.log"
    path = tmp_path / f"{name}.yaml"
    path.write_text(KILL_RECIPE.format(delay=delay, **{k: str(v) for k, v in markers.items()}))
    return path


def test_worker_killed_mid_run_retries_its_shard(
    cluster: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A task's process and an actor's process are SIGKILLed mid-shard: Ray retries their
    shards and the output is the uninterrupted run's, with no duplicates. On two nodes, the
    CPU tasks ran on both."""
    data = tmp_path / "in.jsonl"
    write_llava(data, 60)
    inp = [f"input.path={data}"]
    local = tmp_path / "local"
    LocalExecutor(load_recipe(kill_recipe(tmp_path, "ref", 0.01, False), inp), local).run()
    on_ray = tmp_path / "ray"
    RayExecutor(load_recipe(kill_recipe(tmp_path, "k", 0.01, True), inp), on_ray, quiet=True).run()
    nodes = set((tmp_path / "k-nodes.log").read_text().split())
    assert len(nodes) == (2 if request.node.callspec.params["cluster"] == "two-nodes" else 1)
    for marker in ("k-task", "k-actor"):  # both kills happened, in worker processes
        assert int((tmp_path / marker).read_text()) != os.getpid()
    assert outputs(on_ray) == outputs(local)
    assert funnel(on_ray) == funnel(local)
    ids = [r["id"] for r in data_records(on_ray / "data")]  # llava shards: JSON arrays
    assert len(ids) == len(set(ids)) == 30


def _finished(run: Path) -> int:
    try:
        with sqlite3.connect(run / "state" / "state.sqlite", timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM shards").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("cluster", ["one-node"], indirect=True)
def test_driver_killed_then_rerun_completes(cluster: str, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    write_llava(data, 60)
    recipe = kill_recipe(tmp_path, "slow", 0.03, False)
    local = tmp_path / "local"
    LocalExecutor(load_recipe(recipe, [f"input.path={data}"]), local).run()

    run = tmp_path / "ray"
    cmd = [sys.executable, "-m", "mmrecipe", "run", str(recipe), "--input", str(data)]
    cmd += ["-o", str(run), "--quiet", "--executor", "ray"]
    env = {**os.environ, "RAY_ADDRESS": cluster, "PYTHONPATH": _pythonpath()}
    driver = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and driver.poll() is None and _finished(run) < 2:
        time.sleep(0.02)
    assert driver.poll() is None, driver.stderr.read().decode() if driver.stderr else ""
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    assert 2 <= _finished(run) < 7  # killed mid-run (7 shards in all: 6 + 1 after dedup)

    result = RayExecutor(load_recipe(recipe, [f"input.path={data}"]), run, quiet=True).run()
    assert result.resumed_shards >= 2
    assert outputs(run) == outputs(local)
    assert funnel(run) == funnel(local)


@pytest.mark.parametrize("cluster", ["one-node"], indirect=True)
def test_cli_executor_ray(cluster: str, tmp_path: Path) -> None:
    make_folder(tmp_path / "images")
    args = ["run", str(RECIPES / "curate-folder.yaml"), "--input", str(tmp_path / "images")]
    local = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "local"), "--quiet"])
    assert local.exit_code == 0, local.output
    result = CliRunner().invoke(
        main, [*args, "-o", str(tmp_path / "ray"), "--quiet", "--executor", "ray", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert "data/shard-00000.jsonl" in outputs(tmp_path / "local")
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")
    # a run finished by one executor is finished for the other: a rerun on Ray resumes
    before = outputs(tmp_path / "local")
    again = CliRunner().invoke(
        main, [*args, "-o", str(tmp_path / "local"), "--quiet", "--executor", "ray"]
    )
    assert again.exit_code == 0
    assert "2 finished shard(s) are kept" in " ".join(again.output.split())
    assert outputs(tmp_path / "local") == before


@pytest.mark.parametrize("cluster", ["one-node"], indirect=True)
def test_a_worker_that_keeps_dying_stops_the_run_with_one_line(
    cluster: str, tmp_path: Path
) -> None:
    from mmrecipe.executor.ray import WorkerLost

    data = tmp_path / "in.jsonl"
    write_llava(data, 5)
    recipe = tmp_path / "die.yaml"
    recipe.write_text(
        "name: die\nplugins: [ray_plugin]\ninput: {format: llava}\n"
        "ops: [{op: test_die_always, name: die}]\n"
    )
    spec = load_recipe(recipe, [f"input.path={data}"])
    with pytest.raises(WorkerLost, match=r"shard 0 of phase 1 lost its Ray worker.*rerun"):
        RayExecutor(spec, tmp_path / "run", quiet=True).run()


@pytest.mark.parametrize("cluster", ["one-node"], indirect=True)
def test_steps_bigger_than_any_node_are_refused(cluster: str, tmp_path: Path) -> None:
    from mmrecipe.errors import ConfigError
    from mmrecipe.ops.intake.image_intake import ImageIntake

    make_folder(tmp_path / "images")
    spec = load_recipe(RECIPES / "curate-folder.yaml", [f"input.path={tmp_path / 'images'}"])
    ImageIntake.resources = {"num_cpus": 64}
    try:
        with pytest.raises(ConfigError, match=r"steps intake need 64 CPU and 0 GPU on one node"):
            RayExecutor(spec, tmp_path / "run", quiet=True).run()
    finally:
        ImageIntake.resources = {}


def test_storage_probe_names_what_a_node_cannot_see(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    assert "cannot read" in (probe_storage(str(probe), "t", str(tmp_path / "r")) or "")
    probe.write_text("other")
    assert "another file" in (probe_storage(str(probe), "t", str(tmp_path / "r")) or "")
    probe.write_text("t")
    assert probe_storage(str(probe), "t", str(tmp_path / "r")) is None
    assert (tmp_path / "r").read_text() == "t"


@pytest.mark.parametrize(
    "how", [["--executor", "ray"], ["--set", "executor.type=ray"]], ids=["flag", "recipe"]
)
def test_executor_ray_without_ray_is_one_line(tmp_path: Path, how: list[str]) -> None:
    code = (
        "import sys; sys.modules['ray'] = None; from mmrecipe.cli import entry; "
        f"sys.argv = ['mmrecipe', 'run', {str(RECIPES / 'quickstart.yaml')!r}, "
        f"'-o', {str(tmp_path / 'run')!r}, *{how!r}]; entry()"
    )
    env = {**os.environ, "PYTHONPATH": _pythonpath()}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: the ray executor needs Ray, which is not installed: pip install 'mmrecipe[ray]'"
    ]
    assert not (tmp_path / "run" / "data").exists()


def test_placement_from_declared_resources_and_backends() -> None:
    """CPU steps before the first model step run as tasks sized by the ops' declared resources;
    from the first model step on, a phase runs on actors, with GPUs for an in-process engine."""
    from mmrecipe.executor.ray import plan_parts
    from mmrecipe.ops.intake.image_intake import ImageIntake
    from mmrecipe.recipe import InputSpec, Recipe, step

    def parts(backend: dict[str, Any], cpus: float | None = None) -> list[list[Any]]:
        recipe = Recipe(
            input=InputSpec(format="image_folder", path="."),
            backends={"m": backend},
            ops=[
                step("image_intake", "intake"),
                step("vlm_generate", "gen", backend="m", prompt="Describe."),
                step("text_length", "length", min_words=1),
                step("exact_dedup", "dedup"),
            ],
        )
        if cpus is not None:
            ImageIntake.resources = {"num_cpus": cpus}
        try:
            executor = LocalExecutor(recipe, Path("unused"))
            return [
                [
                    (p.start, p.stop, p.actors, p.num_cpus, p.num_gpus)
                    for p in plan_parts(recipe, ph, None)
                ]
                for ph in executor.phases
            ]
        finally:
            ImageIntake.resources = {}

    # intake: a task of 2 CPUs; gen and the cheap length check after it: one model actor;
    # after the barrier, dedup's apply: a task
    assert parts({"type": "openai", "model": "x", "base_url": "http://h/v1"}, cpus=2) == [
        [(0, 1, False, 2.0, 0.0), (1, 3, True, 1.0, 0.0)],
        [(0, 1, False, 1.0, 0.0)],
    ]
    vllm = parts({"type": "vllm", "model": "x", "tensor_parallel_size": 2})
    assert vllm[0][1] == (1, 3, True, 1.0, 2.0)
    hf = parts({"type": "transformers", "model": "x", "device": "cuda"})
    assert hf[0][1][4] == 1.0
