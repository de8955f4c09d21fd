"""``mmrecipe report``: one self-contained HTML page about a finished run dir."""

from __future__ import annotations

from pathlib import Path

import click

from mmrecipe.cli.logs import verbose_option
from mmrecipe.errors import ConfigError

#: mmrecipe.report.DEFAULT_MAX_SAMPLES (tests/cli check they agree); not imported from there:
#: `mmrecipe --help` must not load the report's libraries
DEFAULT_MAX_SAMPLES = 1200


@click.command("report")
@verbose_option
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write (default: RUN_DIR/report.html)",
)
@click.option(
    "--max-samples",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_SAMPLES,
    show_default=True,
    help="samples put into the gallery, picked deterministically (about half rejected)",
)
def command(run_dir: Path, output: Path | None, max_samples: int) -> None:
    """Write an HTML report of RUN_DIR: funnel, usage, plots and a sample gallery."""
    try:
        from mmrecipe.report import write_report

        path = write_report(run_dir, output, max_samples=max_samples)
    except PermissionError as exc:  # a read-only run dir: say where to write instead
        where = exc.filename or output or run_dir
        raise ConfigError(
            f"cannot write the report to {where}: {exc.strerror}; give -o PATH somewhere writable"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write the report: {exc.strerror or exc}") from None
    size = path.stat().st_size / 1e6
    click.echo(f"report: {path} ({size:.1f} MB)")
