"""Checking a recipe before anything runs: every op built once (its parameters validated), the
read/write contracts between steps, the backends the steps name, and the settings a
Python-built recipe gets checked too (backend entries, input and output formats, writer
options). Apart from ``recipe.py`` (the recipe's shape and how a file becomes one) because it
reaches into the registry, the backends and the writers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.suggest import did_you_mean

#: a ``mmrecipe.recipe.Recipe``; not imported, since recipe.py imports these checks
Recipe = Any


def check_recipe(recipe: Recipe) -> None:
    """Build every op once (validating its parameters) and check the read/write contracts."""
    from mmrecipe.ops.base import OpKind
    from mmrecipe.registry import build_op, load_plugins

    load_plugins(recipe.plugins)
    provided: set[str] = (
        {"images", "videos", "messages", "fields.*"} if recipe.input.path else set()
    )
    if recipe.input.path is None and (not recipe.ops or not _is_source(recipe.ops[0].op)):
        provided = {"images", "videos", "messages"}
        if recipe.input.format not in ("image_folder", "auto"):  # annotation files carry fields
            provided.add("fields.*")
    for index, spec in enumerate(recipe.ops):
        try:
            op = build_op(spec.op, spec.name, spec.params)
        except ConfigError as exc:
            raise ConfigError(str(exc), key=exc.key or ("ops", index)) from None
        if not spec.enabled:
            continue
        if op.kind == OpKind.SOURCE and index != 0:
            raise ConfigError(
                f"step {spec.name!r}: a source op must be the first step", key=("ops", index)
            )
        for read in op.reads:
            if not _provided(read, provided):
                raise ConfigError(
                    f"step {spec.name!r} (op {spec.op}) reads {read!r} but no earlier step "
                    "writes it",
                    key=("ops", index),
                )
        provided.update(op.writes)
    check_settings(recipe)
    declared = set(recipe.backends)
    from mmrecipe.context import OpContext

    aliases = OpContext(run_dir=Path("."), backend_specs=dict(recipe.backends))
    for name in recipe.backends:
        aliases.resolve(name)  # same_as: declared, no circle
    for index, spec in enumerate(recipe.ops):
        backend = spec.params.get("backend")
        if spec.enabled and isinstance(backend, str) and backend not in declared:
            raise ConfigError(
                f"step {spec.name!r} uses backend {backend!r}, which the recipe's backends: "
                f"section does not declare{did_you_mean(backend, declared)} (declared: "
                f"{', '.join(sorted(declared)) or 'none'})",
                key=("ops", index, "backend"),
            )


def check_settings(recipe: Recipe) -> None:
    """The checks a Python-built recipe gets too (the executor runs them): each backend entry
    against its type's settings, and output formats that can be written."""
    from mmrecipe.backends.settings import check_backends
    from mmrecipe.io import FORMATS
    from mmrecipe.settings_ranges import check_recipe_numbers

    check_backends(recipe.backends)
    check_recipe_numbers(recipe)  # .inf, 1e300, -1 and 10**20 are nobody's setting
    readable = sorted(k for k, v in FORMATS.items() if v["read"])
    fmt = recipe.input.format
    if fmt != "auto" and fmt not in readable:
        raise ConfigError(
            f"input.format: unknown input format {fmt!r}{did_you_mean(fmt, readable)}"
            f" (readable: auto, {', '.join(readable)})",
            key=("input", "format"),
        )
    writable = sorted(k for k, v in FORMATS.items() if v["write"])
    for fmt in recipe.output.formats:
        if fmt not in FORMATS:
            raise ConfigError(
                f"output.formats: unknown output format {fmt!r}{did_you_mean(fmt, writable)}"
                f" (writable: {', '.join(writable)})",
                key=("output", "formats"),
            )
        if not FORMATS[fmt]["write"]:
            raise ConfigError(
                f"output.formats: {fmt!r} can be read but not written (writable: "
                f"{', '.join(writable)})",
                key=("output", "formats"),
            )
    from mmrecipe.io import check_writer_options

    for fmt in recipe.output.options:
        if fmt not in recipe.output.formats:
            raise ConfigError(
                f"output.options.{fmt} is set but {fmt!r} is not in output.formats",
                key=("output", "options", fmt),
            )
    for fmt in recipe.output.formats:
        check_writer_options(fmt, recipe.output.writer_options(fmt))


def _is_source(op_name: str) -> bool:
    from mmrecipe.ops.base import OpKind
    from mmrecipe.registry import get_op

    return get_op(op_name).kind == OpKind.SOURCE


def _provided(read: str, provided: set[str]) -> bool:
    if read in provided or ("fields.*" in provided and read.startswith("fields.")):
        return True
    return read.split(".")[0] in ("images", "messages") and read.split(".")[0] in provided
