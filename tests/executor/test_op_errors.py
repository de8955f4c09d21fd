"""An op that raises on one sample rejects only that sample (reason op_error) and goes on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import InputSpec, Recipe, step
from mmrecipe.testing.records import data_records

sys.path.insert(0, str(Path(__file__).parent))


def test_raising_op_rejects_only_the_poisoned_sample(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    ids = ["ok1", "bad1", "ok2", "ok3", "bad2"]
    src.write_text("".join(json.dumps({"id": i, "conversations": []}) + "\n" for i in ids))
    recipe = Recipe(
        input=InputSpec(format="llava", path=str(src)),
        plugins=["slow_plugin"],
        ops=[step("test_explode_on_bad", "explode")],
    )
    result = LocalExecutor(recipe, tmp_path / "run", quiet=True).run()
    kept = [
        r["id"] for r in data_records(tmp_path / "run/samples")
    ]  # no conversation: not in llava
    assert kept == ["ok1", "ok2", "ok3"]
    rejects = [json.loads(x) for x in (tmp_path / "run/rejects/p0-shard-00000.jsonl").open()]
    assert [(r["id"], r["reason"]) for r in rejects] == [("bad1", "op_error"), ("bad2", "op_error")]
    assert "ValueError: cannot handle bad1" in rejects[0]["detail"]
    assert result.stats["steps"]["explode"]["rejected"] == {"op_error": 2}
