"""Helpers of recipe tests: run a recipe through the CLI, read its outputs, look into the
requests a fake server received, check LLaVA turns the way LLaVA's trainer needs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mmrecipe.cli import main

#: the repository's recipes (tests run from a checkout)
RECIPES = Path(__file__).resolve().parents[3] / "recipes"


def run_recipe(recipe: str, run_dir: Path, *args: str) -> dict[str, Any]:
    """``mmrecipe run recipes/<recipe> -o run_dir ARGS --quiet``; returns stats.json."""
    cmd = ["run", str(RECIPES / recipe), "-o", str(run_dir), "--quiet", *args]
    result = CliRunner().invoke(main, cmd, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads((run_dir / "stats.json").read_text())


def records(run_dir: Path, sub: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for f in sorted((run_dir / sub).glob("*.jsonl"))
        for line in f.open(encoding="utf-8")
    ]


def all_text(body: dict[str, Any]) -> str:
    """Every text part of a request, system prompt included."""
    out = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(p.get("text", "") for p in content or [] if p.get("type") == "text")
    return "\n".join(out)


def user_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")


def n_images(body: dict[str, Any]) -> int:
    return sum(
        1
        for m in body.get("messages", [])
        if isinstance(m.get("content"), list)
        for p in m["content"]
        if p.get("type") == "image_url"
    )


def check_llava_turns(record: dict[str, Any], n_img: int = 1) -> None:
    """LLaVA's trainer: roles alternate human/gpt, ``<image>`` exactly once, first turn."""
    conv = record["conversations"]
    assert conv and len(conv) % 2 == 0
    assert [c["from"] for c in conv] == ["human", "gpt"] * (len(conv) // 2)
    text = "".join(c["value"] for c in conv)
    assert text.count("<image>") == n_img
    assert conv[0]["value"].startswith("<image>\n" * n_img)
