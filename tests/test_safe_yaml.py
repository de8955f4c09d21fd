"""The recipe loader refuses alias bombs, huge and deep documents, fast and in bounded memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from mmrecipe.errors import ConfigError
from mmrecipe.safe_yaml import MAX_BYTES, load_yaml, read_yaml_file


def _bomb(levels: int) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match="aliases expand"):
            load_yaml(_bomb(10))  # 9**10 = 3.5e9 strings once expanded
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # the expanded tree is never built


def test_anchors_within_limits_are_fine() -> None:
    data = load_yaml("base: &b {type: openai, model: m}\nother: *b\nlist: [*b, *b]\n")
    assert data["other"] == {"type": "openai", "model": "m"} and len(data["list"]) == 2


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: &a [*a]\n", "refers to itself"),
        ("x: " + "[" * 100 + "]" * 100 + "\n", "nested"),
        ("a: 1\nb: 2\na: 3\n", "key 'a' appears twice"),
        ("a: [1, 2\n", "line 2, column 1"),
        ("x" * (MAX_BYTES + 1), "size limit"),
    ],
)
def test_refused(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_yaml(text)


def test_errors_never_quote_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("token: 'SECRET-VALUE-123\nmore: SECRET-LINE-2: [\n")
    with pytest.raises(ConfigError) as err:
        read_yaml_file(path)
    assert "SECRET" not in str(err.value) and "not a valid recipe" in str(err.value)
    assert "line" in str(err.value)


def test_key_line_finds_the_deepest_part_of_a_key() -> None:
    from mmrecipe.safe_yaml import key_line

    text = "name: t\nops:\n  - op: a\n  - op: b\n    x: 1\nbackends:\n  m: {type: openai}\n"
    assert key_line(text, ("ops", 1, "x")) == 5
    assert key_line(text, ("backends", "m", "nope")) == 7
    assert key_line(text, ("input", "path")) is None
