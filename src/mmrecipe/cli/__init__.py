# The mmrecipe command: one module per subcommand (run, ops, analyze, report, ...).
# Imported by __main__ and tests only; it may import every other layer.
"""The ``mmrecipe`` command. Each subcommand lives in its own module of this package and
exposes ``command`` (a click command); they are found by importing the package's modules."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from mmrecipe import __version__
from mmrecipe.cli.logs import configure_logging
from mmrecipe.errors import MMRecipeError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mmrecipe")
@click.option(
    "-v", "--verbose", is_flag=True, help="also show other libraries' log lines (matplotlib, ...)"
)
def main(verbose: bool) -> None:
    """Turn image collections into training data for vision-language models, and curate it."""
    configure_logging(verbose)


def _load_commands() -> None:
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            main.add_command(command)


_load_commands()


def entry() -> None:
    """Console-script entry: user-fixable errors become one readable line and exit code 2."""
    try:
        main(standalone_mode=False)
    except MMRecipeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("interrupted: rerun the same command to resume", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted: rerun the same command to resume", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
