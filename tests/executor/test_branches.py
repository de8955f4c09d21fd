"""Routing: a sample rejected for a routed reason continues on another branch, not rejects/."""

from __future__ import annotations

import json
from pathlib import Path

from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import InputSpec, OutputSpec, Recipe, step
from mmrecipe.testing.records import data_records


def test_routed_rejects_continue_on_their_branch(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    with open(src, "w") as fh:
        for i in range(6):
            answer = "tiny" if i % 2 else "a long enough answer here"
            fh.write(
                json.dumps(
                    {
                        "id": f"s{i}",
                        "conversations": [
                            {"from": "human", "value": "q"},
                            {"from": "gpt", "value": answer},
                        ],
                    }
                )
                + "\n"
            )
    recipe = Recipe(
        input=InputSpec(format="llava", path=str(src)),
        ops=[
            step("text_length", "length", min_words=3, route={"too_short": "short"}),
            step("set_fields", "main_tag", values={"kind": "long"}),
            step("set_fields", "short_tag", branch="short", values={"kind": "short"}),
            step("text_length", "short_gate", branch="short", min_words=2),
        ],
        output=OutputSpec(formats=["llava"], keep_fields=["kind"]),
    )
    result = LocalExecutor(recipe, tmp_path / "run", quiet=True).run()
    kept = data_records(tmp_path / "run/data")
    assert sorted((r["id"], r["kind"]) for r in kept) == [
        ("s0", "long"),
        ("s2", "long"),
        ("s4", "long"),
    ]
    rejects = [
        json.loads(line) for f in (tmp_path / "run/rejects").glob("*.jsonl") for line in f.open()
    ]
    assert sorted(r["id"] for r in rejects) == ["s1", "s3", "s5"]
    assert {r["op"] for r in rejects} == {"short_gate"}
    assert all(r["branch"] == "short" and r["fields"]["kind"] == "short" for r in rejects)
    steps = result.stats["steps"]
    assert steps["length"]["routed"] == {"short": 3}
    assert steps["main_tag"]["in"] == 3 and steps["short_tag"]["in"] == 3
