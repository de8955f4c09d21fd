"""Run dirs built by hand, in the layout ``mmrecipe run`` writes (see mmrecipe.rundir)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

#: step name -> (op, in, out, rejected by reason, routed by branch): a hand-made Oasis funnel
STEPS: dict[str, tuple[str, int, int, dict[str, int], dict[str, int]]] = {
    "read": ("read", 100, 100, {}, {}),
    "hook": ("oasis_hook", 100, 96, {"op_error": 4}, {}),
    "categorize": ("oasis_categorize", 96, 48, {"no_instruction": 18}, {"caption": 30}),
    "solvability": ("instruction_quality", 48, 30, {"low_solvability": 18}, {}),
    "nonsense": ("instruction_quality", 30, 24, {"nonsense": 6}, {}),
    "respond": ("oasis_respond", 24, 24, {}, {}),
}


def sample(
    sid: str,
    instruction: str | None,
    response: str | None,
    scores: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    messages = []
    if instruction is not None:
        messages.append({"role": "user", "content": "<image>\n" + instruction})
    if response is not None:
        messages.append({"role": "assistant", "content": response})
    return {
        "id": sid,
        "images": [{"path": f"/imgs/{sid}.jpg"}],
        "messages": messages,
        "fields": fields,
        "scores": scores or {},
        "trace": {"hook": {"raw": "..."}},
    }


def write_run(
    root: Path,
    kept: list[dict[str, Any]],
    rejected: list[dict[str, Any]],
    steps: dict[str, tuple[str, int, int, dict[str, int], dict[str, int]]] = STEPS,
    shards: int = 2,
) -> Path:
    """Write ``kept`` over ``shards`` sample shards, ``rejected`` to rejects/, stats and recipe."""
    (root / "samples").mkdir(parents=True)
    (root / "rejects").mkdir()
    (root / "data").mkdir()
    for k in range(shards):
        part = kept[k::shards]
        with open(root / "samples" / f"shard-{k:05d}.jsonl", "w", encoding="utf-8") as fh:
            for rec in part:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(root / "rejects" / "p0-shard-00000.jsonl", "w", encoding="utf-8") as fh:
        for rec in rejected:
            rejection = {"id": rec["id"], "op": "solvability", "reason": "low_solvability"}
            body = {k: v for k, v in rec.items() if k != "id"}
            fh.write(json.dumps({**rejection, **body}, ensure_ascii=False) + "\n")
    stats = {
        "totals": {"input": 100, "kept": len(kept), "rejected": len(rejected)},
        "steps": {
            name: {
                "in": n_in,
                "out": n_out,
                "rejected": rej,
                "rejected_total": sum(rej.values()),
                "routed": routed,
                "seconds": 0.1,
                "usage": {},
            }
            for name, (_op, n_in, n_out, rej, routed) in steps.items()
        },
    }
    (root / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    recipe = {
        "name": "oasis-test",
        "ops": [{"op": op, "name": name} for name, (op, *_rest) in steps.items() if op != "read"],
    }
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return root


#: (instruction, response) of the kept hooked samples
KEPT = [
    ("Describe the image in detail.", "A red car is parked beside a tall tree."),
    ("Describe the image in detail.", "Two children play football on green grass."),
    ("Describe the images carefully.", "Both photos show the same old bridge at dusk."),
    ("Identify the objects on the table.", "A cup, a laptop and a notebook."),
    ("Write a short poem about this picture.", "Sunset glows, the river flows."),
    ("Can you count the apples in the basket?", "There are seven apples."),
    ("请详细描述这张图片中的内容。", "图片中有一只猫。"),
    ("这张图片里有几个人？", "三个人。"),
    (
        "Décrivez cette image en détail, avec toutes les couleurs que vous voyez.",
        "Un ciel bleu.",
    ),
    ("Beschreiben Sie das Bild ausführlich und nennen Sie alle Farben.", "Ein grünes Feld."),
    ("¿Qué animales aparecen en esta fotografía y qué están haciendo?", "Dos perros corren."),
]


@pytest.fixture
def oasis_run(tmp_path: Path) -> Path:
    """11 hooked samples in five languages, one recycled caption sample, three QC rejects."""
    kept = [
        sample(
            f"s{i}",
            ins,
            resp,
            {"solvability": 5 - i % 2, "clarity": 4, "hallucination": 5, "nonsense": 5},
            domain="ocr" if i < 3 else "general",
        )
        for i, (ins, resp) in enumerate(KEPT)
    ]
    kept.append(
        sample("c0", "Describe this image.", "A mountain lake under clouds.", kind="caption")
    )
    rejected = [
        sample("r0", "What is it?", None, {"solvability": 2, "clarity": 3, "hallucination": 5}),
        sample("r1", "Why?", None, {"solvability": 1, "clarity": 2, "hallucination": 4}),
        sample("r2", "Hmm", None, {"solvability": 2, "clarity": 1, "hallucination": 5}),
    ]
    return write_run(tmp_path / "run", kept, rejected)
