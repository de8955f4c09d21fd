"""Placement on the Ray cluster: which of a phase's steps run as CPU tasks and which on model
actors, with what resources, and the two small runners that send a shard to a task or to the
least loaded actor."""

from __future__ import annotations

from typing import Any

from mmrecipe.executor.ray_cluster import MAX_RETRIES
from mmrecipe.executor.ray_workers import Part, PhaseActor, WorkerJob, run_part_task
from mmrecipe.executor.shards import Phase, Step
from mmrecipe.ops.base import Op
from mmrecipe.recipe import Recipe


def _backend_gpus(spec: dict[str, Any]) -> float:
    kind = spec.get("type")
    if kind == "vllm":
        return float(spec.get("tensor_parallel_size", 1))
    if kind == "transformers" and str(spec.get("device", "")).startswith("cuda"):
        return 1.0
    return 0.0


def _backend_of(step: Step) -> str | None:
    name = step.spec.params.get("backend")
    return name if isinstance(name, str) else None


def plan_parts(recipe: Recipe, phase: Phase, source: Op | None) -> list[Part]:
    """Where a phase's steps run. CPU steps before the first model step (reading, intake,
    synthesis: the heavy input side) run as tasks on any node; from the first model step (an
    I/O-bound op, or one naming a backend) on, the shard stays on a model actor: the gates and
    parsers between model calls are cheap, a hop per step would cost more than they do.
    Resources are the largest any op of the part declares, plus the GPUs of in-process engines."""
    steps = phase.steps
    model_at = next(
        (i for i, s in enumerate(steps) if s.op.io_bound or _backend_of(s) is not None), None
    )
    cuts = [(0, len(steps))] if model_at in (None, 0) else [(0, model_at), (model_at, len(steps))]
    parts = []
    for start, stop in cuts:
        ops: list[Op] = [s.op for s in steps[start:stop]]
        if source is not None and phase.index == 0 and start == 0:
            ops.insert(0, source)
        backends = {b for s in steps[start:stop] if (b := _backend_of(s)) is not None}
        parts.append(
            Part(
                phase=phase.index,
                start=start,
                stop=stop,
                first=start == 0,
                last=stop == len(steps),
                actors=model_at is not None and start == model_at,
                num_cpus=max([float(op.resources.get("num_cpus", 1.0)) for op in ops] or [1.0]),
                num_gpus=max(
                    [float(op.resources.get("num_gpus", 0.0)) for op in ops]
                    + [_backend_gpus(recipe.backends.get(b, {})) for b in backends]
                    + [0.0]
                ),
            )
        )
    return parts


class TaskRunner:
    def __init__(self, ray: Any, job: WorkerJob, part: Part, box: list[Any]) -> None:
        self._fn = ray.remote(run_part_task).options(
            num_cpus=part.num_cpus,
            num_gpus=part.num_gpus,
            max_retries=MAX_RETRIES,
            scheduling_strategy="SPREAD",  # shards are big: use every node, not the nearest
        )
        self._args = (job, part, box)

    async def run(self, shard: int, payload: Any) -> Any:
        return await self._fn.remote(*self._args, shard, payload)

    async def close(self) -> None:
        """Tasks hold nothing between shards that the driver could free."""


class ActorRunner:
    def __init__(
        self, ray: Any, job: WorkerJob, part: Part, box: list[Any], n: int, threads: int
    ) -> None:
        cls = ray.remote(PhaseActor).options(
            num_cpus=part.num_cpus,
            num_gpus=part.num_gpus,
            max_restarts=MAX_RETRIES,
            max_task_retries=MAX_RETRIES,
            scheduling_strategy="SPREAD",  # one engine per node before two on one
        )
        self._ray = ray
        self._job = job
        self._box = box
        self.actors = [cls.remote(part, threads) for _ in range(n)]
        self._prepared = [actor.prepare.remote(job, box) for actor in self.actors]
        self._load = [0] * n

    async def run(self, shard: int, payload: Any) -> Any:
        i = min(range(len(self.actors)), key=self._load.__getitem__)
        self._load[i] += 1
        try:
            return await self.actors[i].run.remote(self._job, self._box, shard, payload)
        finally:
            self._load[i] -= 1

    async def close(self) -> None:
        for actor in self.actors:
            try:
                await actor.close.remote()
            except Exception:  # a dead actor has nothing left to close
                pass
            self._ray.kill(actor)
