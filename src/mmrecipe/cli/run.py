"""``mmrecipe run``: run a recipe into a run dir (resuming when the dir has a finished part)."""

from __future__ import annotations

from pathlib import Path

import click

from mmrecipe.cli.tables import print_stats
from mmrecipe.errors import ConfigError
from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import load_recipe


@click.command("run")
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
def command(
    recipe: Path,
    run_dir: Path,
    input_path: Path | None,
    overrides: tuple[str, ...],
    limit: int | None,
    quiet: bool,
    no_cache: bool,
    executor: str | None,
    write_report: bool,
) -> None:
    """Run RECIPE (a YAML file) and write its outputs into RUN_DIR."""
    extra = list(overrides)
    if input_path is not None:
        if not input_path.exists():
            raise ConfigError(f"--input {input_path} does not exist")
        extra.append(f"input.path={input_path.absolute()}")
    spec = load_recipe(recipe, extra)
    if (executor or spec.executor.type) == "ray":
        from mmrecipe.executor.ray import RayExecutor

        runner: LocalExecutor = RayExecutor(
            spec, run_dir, limit=limit, use_cache=not no_cache, quiet=quiet
        )
    else:
        runner = LocalExecutor(spec, run_dir, limit=limit, use_cache=not no_cache, quiet=quiet)
    result = runner.run()
    print_stats(result.stats, run_dir)
    if write_report:
        from mmrecipe.report import write_report as make_report

        path = make_report(run_dir)
        click.echo(f"report: {path}")
