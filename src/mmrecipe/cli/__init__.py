# The mmrecipe command: one module per subcommand (run, ops, analyze, report, ...).
# Imported by __main__ and tests only; it may import every other layer.
"""The ``mmrecipe`` command. Each subcommand lives in its own module of this package and
exposes ``command`` (a click command), found by module name and imported when first used."""

from __future__ import annotations

import importlib
import os
import pkgutil
import signal
import sys
import threading

import click

from mmrecipe import __version__
from mmrecipe.cli.logs import configure_logging
from mmrecipe.errors import MMRecipeError


class LazyCommands(click.Group):
    """Subcommands found by module name and imported only when asked for: ``mmrecipe run``
    imports the run command's module alone, and every command module imports its libraries
    inside its function, so ``mmrecipe --help`` and ``validate`` start fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(self.commands)
        names.update(
            info.name for info in pkgutil.iter_modules(__path__) if info.name not in _HELPERS
        )
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name.isidentifier() and cmd_name not in _HELPERS:
            try:
                module = importlib.import_module(f"{__name__}.{cmd_name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{cmd_name}":
                    raise
                return None
            command = getattr(module, "command", None)
            if isinstance(command, click.Command):
                self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


#: modules of this package that hold no command
_HELPERS = frozenset({"logs", "tables"})


@click.group(
    cls=LazyCommands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="mmrecipe")
@click.option(
    "-v", "--verbose", is_flag=True, help="also show other libraries' log lines (matplotlib, ...)"
)
def main(verbose: bool) -> None:
    """Turn image collections into training data for vision-language models, and curate it."""
    configure_logging(verbose)


INTERRUPTED = "interrupted: rerun the same command to resume"
#: after Ctrl-C, the seconds a clean exit may take before the process ends regardless
INTERRUPT_GRACE_S = 1.5
_interrupt_told = threading.Event()


def _tell_interrupted() -> None:
    if not _interrupt_told.is_set():
        _interrupt_told.set()
        click.echo(INTERRUPTED, err=True)


def _on_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: raise KeyboardInterrupt as usual, and end the process after a short grace
    period even if worker threads (a CPU op mid-batch, the executor's pool, a request) would
    hold it: a run survives a kill (finished shards are committed, in-flight ones redone)."""

    def force_exit() -> None:
        _tell_interrupted()
        sys.stderr.flush()
        os._exit(130)

    if not _interrupt_told.is_set():
        timer = threading.Timer(INTERRUPT_GRACE_S, force_exit)
        timer.daemon = True
        timer.start()
    signal.default_int_handler(signum, frame)  # type: ignore[arg-type]


def entry() -> None:
    """Console-script entry: user-fixable errors become one readable line and exit code 2."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_interrupt)
    try:
        main(standalone_mode=False)
    except MMRecipeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        _tell_interrupted()
        sys.exit(130)
    except KeyboardInterrupt:
        _tell_interrupted()
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
