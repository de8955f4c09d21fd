"""Reading recipe YAML safely: bounded size, bounded alias expansion, no file contents in errors.

``yaml.safe_load`` builds only plain data, but it happily expands an 11-line "billion laughs"
document (aliases of aliases) into a structure that exhausts memory once anything walks it, and
its error messages quote the offending lines. A recipe is small, so :func:`load_yaml` refuses
documents over :data:`MAX_BYTES`, whose expanded tree (every alias counted as a full copy) would
exceed :data:`MAX_NODES` nodes or :data:`MAX_DEPTH` levels, that alias themselves, or that repeat
a key; errors give the line and column and the parser's problem, never the text around it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mmrecipe.errors import ConfigError

#: a recipe is a few KB; few-shot prompts inline stay far below this
MAX_BYTES = 1 << 20
#: nodes of the document with every alias expanded (a recipe has a few hundred)
MAX_NODES = 100_000
MAX_DEPTH = 64


def read_yaml_file(path: Path, what: str = "recipe") -> Any:
    """Parse ``path`` (at most :data:`MAX_BYTES`) as YAML; any failure is one ConfigError
    that says the file is not a valid ``what``, without quoting its contents."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"{path} is not a valid {what}: larger than {MAX_BYTES // 1024} KiB, the size limit"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not a valid {what}: not UTF-8 text (byte {exc.start})"
        ) from None
    return load_yaml(text, f"{path} is not a valid {what}")


def load_yaml(text: str, context: str = "not valid YAML") -> Any:
    """``yaml.safe_load`` with the limits above; errors start with ``context``."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise ConfigError(f"{context}: larger than {MAX_BYTES // 1024} KiB, the size limit")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(node, context)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _SyntaxProblem(f"{context}: {_describe(exc)}") from None
    except yaml.YAMLError as exc:
        raise _SyntaxProblem(f"{context}: {_sanitize(type(exc).__name__)}") from None
    except RecursionError:
        raise ConfigError(f"{context}: nested too deeply") from None
    finally:
        loader.dispose()


def load_override_value(text: str, context: str) -> Any:
    """A ``--set`` value: YAML within the limits above, or the text itself when it is not
    YAML at all (``--set name=a: b`` means the string); over a limit, ConfigError."""
    try:
        return load_yaml(text, context)
    except _SyntaxProblem:
        return text


class _SyntaxProblem(ConfigError):
    """Text the YAML parser refuses (as opposed to a document over a limit)."""


def _describe(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = _sanitize(exc.problem or exc.context or "invalid YAML")
    if mark is None:
        return problem
    return f"YAML error at line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _sanitize(problem: str) -> str:
    """Drop quoted text longer than a few characters (it comes from the file)."""
    return re.sub(r"'[^'<][^']{8,}'|\"[^\"<][^\"]{8,}\"", "'…'", problem).strip()


def _check_tree(root: yaml.Node, context: str) -> None:
    """Count the expanded tree without building it (aliases are shared node objects)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ConfigError(f"{context}: nested deeper than {MAX_DEPTH} levels")
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError(f"{context}: an alias refers to itself (line {_line(node)})")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child, depth + 1)
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value != "<<":
                    if k.value in seen:
                        raise ConfigError(
                            f"{context}: YAML error at line {_line(k)}: key {k.value[:40]!r} "
                            "appears twice in one mapping"
                        )
                    seen.add(k.value)
                total += size(k, depth + 1) + size(v, depth + 1)
        active.discard(key)
        if total > MAX_NODES:
            raise ConfigError(
                f"{context}: its aliases expand to more than {MAX_NODES:,} nodes "
                f"(line {_line(node)}); a recipe is far smaller"
            )
        sizes[key] = total
        return total

    size(root, 0)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1 if node.start_mark is not None else 0


def key_line(text: str, key: tuple[str | int, ...]) -> int | None:
    """The line (1-based) of the deepest part of ``key`` that ``text`` holds, else None.
    Ints index sequences; call only on text :func:`load_yaml` accepted."""
    try:
        node: yaml.Node | None = yaml.SafeLoader(text).get_single_node()
    except yaml.YAMLError:
        return None
    line = None
    for part in key:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
            if not found:
                break
            key_node = next(k for k, v in node.value if v is found[0])
            line, node = key_node.start_mark.line + 1, found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
