"""Log output of the CLI: mmrecipe's own INFO lines always, other libraries' only with ``-v``.

Libraries log at INFO for their developers (matplotlib's "Using categorical units..." once per
chart); those lines broke the progress bar and buried mmrecipe's own messages. Their warnings
still show, except the Hugging Face libraries' (transformers, diffusers, huggingface_hub):
they log through handlers of their own and draw progress bars ("Loading weights" per model
load, config notices), so without ``-v`` they are set to errors only and their bars are off
(environment variables for libraries not imported yet, their own switches for those that are;
worker processes inherit the variables).
"""

from __future__ import annotations

import logging
import os
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
    quiet_hugging_face(not verbose)


#: what silences the Hugging Face libraries before they are imported
_QUIET_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",
    "DIFFUSERS_VERBOSITY": "error",
    "HF_HUB_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}
_set_here: set[str] = set()


def quiet_hugging_face(quiet: bool) -> None:
    """Errors only and no progress bars from transformers/diffusers/huggingface_hub (or back
    to their defaults); a variable the user set stays as they set it."""
    for key, value in _QUIET_ENV.items():
        if quiet and key not in os.environ:
            os.environ[key] = value
            _set_here.add(key)
        elif not quiet and key in _set_here:
            os.environ.pop(key, None)
            _set_here.discard(key)
    for name in ("transformers", "diffusers"):
        if name in sys.modules:
            lib = sys.modules[name].utils.logging
            lib.set_verbosity(logging.ERROR if quiet else logging.WARNING)
            (lib.disable_progress_bar if quiet else lib.enable_progress_bar)()
    if "huggingface_hub" in sys.modules:
        hub = sys.modules["huggingface_hub"].utils
        (hub.disable_progress_bars if quiet else hub.enable_progress_bars)()


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
