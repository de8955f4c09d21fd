"""Log output of the CLI: mmrecipe's own INFO lines always, other libraries' only with ``-v``.

Libraries log at INFO for their developers (matplotlib's "Using categorical units..." once per
chart); those lines broke the progress bar and buried mmrecipe's own messages. Their warnings
still show.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def configure_logging(verbose: bool = False) -> None:
    """Root at WARNING (INFO with ``verbose``); the ``mmrecipe`` loggers at INFO (DEBUG)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
        root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("mmrecipe").setLevel(logging.DEBUG if verbose else logging.INFO)


def _on_verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        configure_logging(verbose=True)


def verbose_option(func: F) -> F:
    """``-v/--verbose`` on a command (also accepted before the subcommand)."""
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_on_verbose,
        help="also show other libraries' log lines (matplotlib, transformers, ...)",
    )(func)
