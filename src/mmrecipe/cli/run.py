"""``mmrecipe run``: run a recipe into a run dir (resuming when the dir has a finished part)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mmrecipe.cli.logs import verbose_option
from mmrecipe.errors import ConfigError

if TYPE_CHECKING:
    from mmrecipe.executor.local import LocalExecutor


@click.command("run")
@verbose_option
@click.argument("recipe", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "run_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="run directory (created; rerunning into it resumes)",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(path_type=Path),
    help="input path (image folder, JSON/JSONL, Parquet), overrides input.path",
)
@click.option(
    "--image-root",
    "image_roots",
    multiple=True,
    type=click.Path(path_type=Path),
    help="the dataset root (input.image_root): no image may lie outside it (repeatable: "
    "several folders; relative image paths are resolved against the first)",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="override a recipe key, e.g. --set ops.qc.min_sum=8 (repeatable)",
)
@click.option("--limit", type=click.IntRange(min=1), help="process only the first N samples")
@click.option("--quiet", is_flag=True, help="log lines instead of a progress bar")
@click.option("--no-cache", is_flag=True, help="do not reuse cached model answers")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default=None,
    help="where to run (default: the recipe's executor.type)",
)
@click.option("--report", "write_report", is_flag=True, help="write RUN_DIR/report.html at the end")
@click.option("--standins-failed", "standins_failed", hidden=True, default=None)
@click.option(
    "--force",
    is_flag=True,
    help="run into a RUN_DIR another recipe (another name) made, replacing its outputs",
)
def command(
    recipe: Path,
    run_dir: Path,
    input_path: Path | None,
    image_roots: tuple[Path, ...],
    overrides: tuple[str, ...],
    limit: int | None,
    quiet: bool,
    no_cache: bool,
    executor: str | None,
    write_report: bool,
    standins_failed: str | None,
    force: bool,
) -> None:
    """Run RECIPE (a YAML file) and write its outputs into RUN_DIR."""
    if standins_failed is not None:  # printed by python -m mmrecipe.testing tiny on failure
        raise ConfigError(
            f"refusing to run: the tiny stand-ins were not built ({standins_failed}, see the "
            "line above); without them the recipe's real backends would be used"
        )
    # imported here, not at the top: `mmrecipe --help` must not load the executor's libraries
    from mmrecipe.cli.tables import RUN_TOP_REASONS, print_stats
    from mmrecipe.executor.local import LocalExecutor
    from mmrecipe.recipe import load_recipe

    extra = list(overrides)
    #: path options are set as given, never parsed as YAML ("dir/my #1" is a path, not a comment)
    values: dict[str, str] = {}
    if input_path is not None:
        if not input_path.exists():
            raise ConfigError(f"--input {input_path} does not exist")
        values["input.path"] = str(input_path.absolute())
    if image_roots:  # literal paths, not parsed as --set values
        for root in image_roots:
            if not root.expanduser().is_dir():
                raise ConfigError(f"--image-root {root} is not a folder")
        values["input.image_root"] = [str(r.expanduser().absolute()) for r in image_roots]
    spec = load_recipe(recipe, extra, values)
    if (executor or spec.executor.type) == "ray":
        from mmrecipe.executor.ray import RayExecutor

        runner: LocalExecutor = RayExecutor(
            spec, run_dir, limit=limit, use_cache=not no_cache, quiet=quiet
        )
    else:
        runner = LocalExecutor(spec, run_dir, limit=limit, use_cache=not no_cache, quiet=quiet)
    runner.force = force
    result = runner.run()
    print_stats(result.stats, run_dir, top=RUN_TOP_REASONS)
    if write_report:
        from mmrecipe.report import write_report as make_report

        path = make_report(run_dir)
        click.echo(f"report: {path}")
