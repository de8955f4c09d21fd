"""Every numeric setting has a checked range, and ``--set`` values obey the recipe loader's
limits: each mistake is one line and exit 2, before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.recipe import load_recipe

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "all-seeing.yaml"
DEEP = "[" * 600 + "]" * 600
BOMB = (
    "[&a [1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b],"
    " &d [*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d],"
    " &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]]"
)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("input.remote_timeout_s=.inf", "not a finite number"),
        ("input.remote_timeout_s=1e300", "out of range"),
        ("input.remote_timeout_s=1e9", "seconds is out of range"),
        ("backends.llm.max_answer_bytes=-1", "negative"),
        ("backends.llm.concurrency=100000000000000000000", "out of range"),
        ("backends.llm.concurrency=1000000000", "out of range"),
        ("backends.llm.timeout_s=.nan", "timeout_s"),
        ("executor.shard_size=100000000000000000000", "out of range"),
        ("ops.qa.box_scale=.inf", "finite number"),
        (f"ops.qa.x={DEEP}", "nested too deeply"),
        (f"ops.qa.x={BOMB}", "expand to more than"),
    ],
)
def test_out_of_range_settings_are_refused(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_recipe(RECIPE, [override])


def test_sane_values_pass() -> None:
    recipe = load_recipe(RECIPE, ["input.remote_timeout_s=60", "backends.llm.concurrency=128"])
    assert recipe.input.remote_timeout_s == 60


def test_one_line_and_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mmrecipe", "validate", str(RECIPE), "--set", f"ops.qa.x={DEEP}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
