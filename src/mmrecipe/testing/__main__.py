"""``python -m mmrecipe.testing tiny --recipe RECIPE DIR``: tiny stand-ins for a recipe's
backends, printed as ``--set`` overrides (see :mod:`mmrecipe.testing.standins`)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from mmrecipe.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mmrecipe.testing")
    sub = parser.add_subparsers(dest="command", required=True)
    tiny = sub.add_parser("tiny", help="build tiny stand-ins for a recipe's backends")
    tiny.add_argument("--recipe", required=True, type=Path)
    tiny.add_argument("dir", type=Path, help="where the tiny models are built (reused)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    try:
        from mmrecipe.testing.standins import standin_overrides

        lines = standin_overrides(args.recipe, args.dir)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(f"--set {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
