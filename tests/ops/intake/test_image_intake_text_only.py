"""Mixed datasets (LLaVA's 665k mix) hold text-only records: kept and counted when asked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import InputSpec, OutputSpec, Recipe, step
from mmrecipe.testing.records import data_records


def test_text_only_records_kept_and_counted(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((20, 20, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    turns = [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]
    records = [
        {"id": "img", "image": "a.png", "conversations": turns},
        {"id": "txt", "conversations": turns},
    ]
    (tmp_path / "mix.json").write_text(json.dumps(records))
    for mode, kept in (("reject", ["img"]), ("keep", ["img", "txt"])):
        recipe = Recipe(
            name=f"mix-{mode}",
            input=InputSpec(format="llava", path=str(tmp_path / "mix.json")),
            ops=[step("image_intake", "intake", text_only=mode)],
            output=OutputSpec(formats=["llava"]),
        )
        result = LocalExecutor(recipe, tmp_path / mode, quiet=True).run()
        assert [r["id"] for r in data_records(tmp_path / mode / "data")] == kept
        intake = result.stats["steps"]["intake"]
        if mode == "keep":
            assert intake["routed"] == {"kept_text_only": 1} and intake["rejected"] == {}
        else:
            assert intake["rejected"] == {"no_image": 1}
