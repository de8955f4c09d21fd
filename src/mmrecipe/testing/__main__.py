"""``python -m mmrecipe.testing tiny --recipe RECIPE DIR``: tiny stand-ins for a recipe's
backends, printed as ``--set`` overrides (see :mod:`mmrecipe.testing.standins`).

Used as ``mmrecipe run ... $(python -m mmrecipe.testing tiny ...)``: when the stand-ins cannot
be built (no torch/transformers, a recipe it cannot read), an empty expansion would let the run
go on with the recipe's real backends. So a failure prints one line to stderr, exits non-zero,
and prints ``--standins-failed=REASON`` to stdout, which makes ``mmrecipe run`` refuse.
"""

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
        return _failed("config", f"error: {exc}")
    except ImportError as exc:
        missing = getattr(exc, "name", None) or "a module"
        return _failed(
            "missing-" + "".join(c if c.isalnum() else "-" for c in missing.split(".")[0]),
            f"error: the tiny stand-ins need {missing.split('.')[0]} (torch and transformers): "
            "pip install 'mmrecipe[hf]'",
        )
    for line in lines:
        print(f"--set {line}")
    return 0


def _failed(reason: str, message: str) -> int:
    """One line for the user; a token that makes ``mmrecipe run $(...)`` refuse."""
    print(message.splitlines()[0] if message else "error", file=sys.stderr)
    print(f"--standins-failed={reason}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
