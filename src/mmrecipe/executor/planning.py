"""Planning a run: the recipe's ops built and cut into phases at each barrier, and the reader
its input comes from. Kept apart from the shard loop so that a worker (Ray) plans exactly what
the driver plans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.executor.shards import Phase, Step
from mmrecipe.io import open_reader
from mmrecipe.io.base import GuardedReader, ImageRoot, default_image_root
from mmrecipe.io.sampling import SampledReader
from mmrecipe.ops.base import OpKind, SourceOp
from mmrecipe.recipe import Recipe
from mmrecipe.recipe_checks import check_settings
from mmrecipe.registry import build_op, load_plugins
from mmrecipe.rundir import RunDir


def plan_phases(recipe: Recipe) -> tuple[SourceOp | None, list[Phase]]:
    """The source op (None: the input is read) and the phases: a barrier op starts a new one."""
    load_plugins(recipe.plugins)
    check_settings(recipe)
    source: SourceOp | None = None
    steps = [
        Step(spec, build_op(spec.op, spec.name, spec.params)) for spec in recipe.active_steps()
    ]
    if steps and steps[0].op.kind == OpKind.SOURCE:
        source = steps.pop(0).op  # type: ignore[assignment]
    elif recipe.input.path is None:
        raise ConfigError(
            "the recipe has no input: give --input PATH (or input.path) or start with a source op"
        )
    for s in steps:
        if s.op.kind == OpKind.SOURCE:
            raise ConfigError(f"step {s.name!r}: a source op must be the first step")
    phases = [Phase(index=0, steps=[])]
    for s in steps:
        if s.op.kind == OpKind.BARRIER:
            phases.append(Phase(index=len(phases), steps=[s], barrier=s))
        else:
            phases[-1].steps.append(s)
    phases[-1].final = True
    return source, phases


def open_input(recipe: Recipe, layout: RunDir) -> Any:
    """The recipe's input reader: image paths held inside the image root(s), remote images
    fetched into the run dir, every record guarded (one bad record is one reject)."""
    spec = recipe.input
    assert spec.path is not None
    path = Path(spec.path).expanduser()
    given = [spec.image_root] if isinstance(spec.image_root, str) else spec.image_root or []
    roots = [Path(r).expanduser() for r in given]
    for root in roots:
        if not root.is_dir():
            raise ConfigError(f"input.image_root {root} is not a folder")
    image_root = ImageRoot(
        roots or default_image_root(path),
        allow_outside_root=spec.allow_outside_root,
        allow_remote=spec.allow_remote,
        remote_dir=layout.images / "remote",
        remote_max_bytes=spec.remote_max_bytes,
        remote_timeout_s=spec.remote_timeout_s,
        remote_workers=spec.remote_concurrency,
        allow_private_hosts=spec.allow_private_hosts,
        member_max_bytes=spec.member_max_bytes,
    )
    reader = open_reader(
        spec.format,
        path,
        image_root=image_root,
        materialize_dir=layout.images / "input",
        **spec.options,
    )
    guarded = GuardedReader(reader, path)
    if spec.sample is not None:
        return SampledReader(guarded, spec.sample.n, spec.sample.seed)
    return guarded
