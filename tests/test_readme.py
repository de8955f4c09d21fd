"""The README tells the truth: its code blocks run or, where they need servers, GPUs or the
user's own data, their recipes and ``--set`` overrides validate.

- every ``python`` block runs (in a scratch folder holding a ``photos/`` image folder);
- every ``yaml`` block is a valid recipe (a ``# recipes/X.yaml`` block names a shipped recipe)
  or a valid ``backends:`` section;
- every ``mmrecipe`` command in a ``bash`` block names a real subcommand, and every
  ``mmrecipe run`` of a shipped recipe validates with its ``--set`` overrides; a self-contained
  one (only ``~/`` paths, no placeholders in capitals) really runs, twice (the second resumes),
  with ``HOME`` a scratch folder and ``--limit 8`` to stay fast.

A block whose info string says ``norun`` (```` ```python norun ````) is skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from PIL import Image

from mmrecipe.backends.settings import check_backends
from mmrecipe.cli import main
from mmrecipe.recipe import load_recipe, recipe_from_dict
from mmrecipe.recipe_checks import check_recipe
from mmrecipe.safe_yaml import load_yaml

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{2,}\b")


def _blocks(language: str) -> list[tuple[int, str]]:
    """(line number, text) of each fenced block of ``language`` not marked ``norun``."""
    out: list[tuple[int, str]] = []
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        info = lines[i].strip()
        if info.startswith("```") and info != "```":
            words = info[3:].split()
            body: list[str] = []
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                body.append(lines[j])
                j += 1
            if words and words[0] == language and "norun" not in words:
                out.append((i + 1, "\n".join(body) + "\n"))
            i = j
        i += 1
    return out


def _commands() -> list[tuple[int, list[str]]]:
    """Each ``mmrecipe ...`` command of the bash blocks, as argv after ``mmrecipe``."""
    out: list[tuple[int, list[str]]] = []
    seen: set[tuple[str, ...]] = set()
    for line_no, text in _blocks("bash"):
        for part in re.split(r"&&|\n", text.replace("\\\n", " ")):
            words = shlex.split(part, comments=True)
            for k, word in enumerate(words):
                if word == "mmrecipe" or word.endswith("/mmrecipe"):
                    argv = [w for w in words[k + 1 :] if w != "&"]
                    if tuple(argv) not in seen:
                        seen.add(tuple(argv))
                        out.append((line_no, argv))
                    break
    return out


def _photos(folder: Path) -> None:
    folder.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (32 + i, 32), (i * 40, 10, 10)).save(folder / f"{i}.png")
    Image.new("RGB", (32, 32)).save(folder / "copy.png")
    (folder / "copy2.png").write_bytes((folder / "copy.png").read_bytes())


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), *sys.path])}


@pytest.mark.parametrize(("line", "code"), _blocks("python"), ids=lambda v: str(v)[:12])
def test_python_blocks_run(line: int, code: str, tmp_path: Path) -> None:
    _photos(tmp_path / "photos")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=_env()
    )
    assert done.returncode == 0, f"README.md:{line}: {done.stderr[-2000:]}"


@pytest.mark.parametrize(("line", "text"), _blocks("yaml"), ids=lambda v: str(v)[:12])
def test_yaml_blocks_are_valid(line: int, text: str) -> None:
    data = load_yaml(text)
    assert isinstance(data, dict), f"README.md:{line}"
    if "ops" in data:
        check_recipe(recipe_from_dict(data))
        named = re.match(r"#\s*(recipes/\S+\.yaml)", text)
        if named:
            shipped = load_recipe(REPO / named.group(1))
            assert recipe_from_dict(data).name == shipped.name, f"README.md:{line}"
    else:
        assert set(data) == {"backends"}, f"README.md:{line}: neither a recipe nor backends"
        check_backends(data["backends"])


def test_bash_commands_are_real() -> None:
    commands = _commands()
    assert commands, "the README shows mmrecipe commands"
    known = main.list_commands(click.Context(main))  # subcommands are imported lazily
    for line, argv in commands:
        assert argv and argv[0] in known, f"README.md:{line}: mmrecipe {argv[:1]}"


def _sets(argv: list[str]) -> list[str]:
    return [argv[k + 1] for k, w in enumerate(argv) if w == "--set"]


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        (line, argv)
        for line, argv in _commands()
        if argv[:1] == ["run"] and len(argv) > 1 and (REPO / argv[1]).is_file()
    ],
    ids=lambda v: str(v)[:40],
)
def test_bash_run_commands(line: int, argv: list[str], tmp_path: Path) -> None:
    load_recipe(REPO / argv[1], _sets(argv))  # the recipe and every --set validate
    if PLACEHOLDER.search(" ".join(argv[1:])) or "--set" in argv:
        return  # needs the user's data or servers: validated only
    home = tmp_path / "home"
    _photos(home / "photos")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "recipes").symlink_to(REPO / "recipes")
    expanded = [w.replace("~", str(home), 1) if w.startswith("~/") else w for w in argv]
    env = {**_env(), "HOME": str(home)}
    for _ in range(2):  # the second run resumes: a no-op
        done = subprocess.run(
            [sys.executable, "-m", "mmrecipe", *expanded, "--quiet", "--limit", "8"],
            cwd=tmp_path / "work",
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 0, f"README.md:{line}: {done.stderr[-2000:]}"
