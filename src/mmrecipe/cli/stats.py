"""``mmrecipe stats``: print a run's stats table."""

from __future__ import annotations

from pathlib import Path

import click

from mmrecipe.errors import ConfigError


@click.command("stats")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print stats.json as is")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=None,
    help="show the N most frequent reject reasons per step and a '… k more' line (default: all)",
)
def command(run_dir: Path, as_json: bool, top: int | None) -> None:
    """Print the per-step funnel of RUN_DIR."""
    from mmrecipe.cli.tables import print_stats
    from mmrecipe.rundir import RunDir

    layout = RunDir(run_dir)
    if not layout.stats_file.exists():
        raise ConfigError(f"{run_dir} has no stats.json: not a finished mmrecipe run dir")
    stats = layout.read_stats()
    if as_json:
        import json

        click.echo(json.dumps(stats, indent=2))
    else:
        print_stats(stats, run_dir, top=top)
