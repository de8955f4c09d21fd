"""No two modules of ``src/mmrecipe`` import each other (issue 25), lazily or for type hints
included: a package's ``__init__`` and its own submodule are the one allowed pair (a registry
in ``__init__`` that a submodule reads)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "mmrecipe").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every mmrecipe module ``path`` imports anywhere (top level, in functions, TYPE_CHECKING)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mmrecipe"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mmrecipe"))
    return {name for name in found if name in modules}


def _parent_and_child(a: str, b: str) -> bool:
    return b.startswith(a + ".") or a.startswith(b + ".")


def test_no_two_modules_import_each_other() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    circles = sorted(
        (a, b)
        for a, deps in graph.items()
        for b in deps
        if a < b and a in graph[b] and not _parent_and_child(a, b)
    )
    assert circles == []


def test_the_checker_sees_a_circle(tmp_path: Path) -> None:
    one = tmp_path / "one.py"
    one.write_text("def f():\n    from mmrecipe.context import OpContext\n")
    assert _imports(one, _modules()) == {"mmrecipe.context"}


def test_an_op_family_imports_no_other_family() -> None:
    modules = _modules()
    families = {
        p.name for p in (SRC / "mmrecipe" / "ops").iterdir() if (p / "__init__.py").is_file()
    }
    crossing = []
    for name, path in modules.items():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] != "ops" or parts[2] not in families:
            continue
        for dep in _imports(path, modules):
            other = dep.split(".")
            if len(other) > 2 and other[1] == "ops" and other[2] in families - {parts[2]}:
                crossing.append((name, dep))
    assert crossing == []
