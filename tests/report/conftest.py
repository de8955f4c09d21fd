"""Run dirs written by hand in the layout ``mmrecipe run`` writes (see mmrecipe.rundir), with
real images, broken images and planted HTML/script payloads in model-written text."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

#: what a hostile or confused model might write; must show as text and never run
SCRIPT = "<script>window.__pwned=1</script>"
ONERROR = '<img src=x onerror="window.__pwned=1">'
PAYLOAD = f"{SCRIPT} {ONERROR} </script><b>bold?</b> & &amp;"


def record(
    sid: str,
    instruction: str,
    response: str | None,
    *,
    images: list[str] | None = None,
    domain: str | None = None,
    scores: dict[str, float] | None = None,
    raw: str | None = None,
) -> dict[str, Any]:
    """A sample in ``Sample.to_dict()`` shape; ``raw`` becomes the model's trace answer."""
    messages = [{"role": "user", "content": "<image>\n" + instruction}]
    if response is not None:
        messages.append({"role": "assistant", "content": response})
    fields: dict[str, Any] = {"instruction": instruction}
    if domain is not None:
        fields["domain"] = domain
    out: dict[str, Any] = {
        "id": sid,
        "images": [{"path": p} for p in (images or [])],
        "messages": messages,
        "fields": fields,
        "scores": scores or {},
    }
    if raw is not None:
        out["trace"] = {
            "respond": {
                "request": {
                    "backend": "vlm",
                    "messages": [{"role": "user", "content": "data:image/png;base64," + "A" * 64}],
                },
                "response": {"texts": [raw], "finish_reasons": ["stop"]},
            }
        }
    return out


def reject(rec: dict[str, Any], op: str, reason: str, detail: str | None = None) -> dict[str, Any]:
    """A rejects/ line: id, op, reason, detail, then the sample body."""
    head: dict[str, Any] = {"id": rec["id"], "op": op, "reason": reason}
    if detail:
        head["detail"] = detail
    return {**head, **{k: v for k, v in rec.items() if k != "id"}}


def write_run(
    root: Path,
    kept: list[dict[str, Any]],
    rejected: list[dict[str, Any]],
    shards: int = 2,
) -> Path:
    """Write samples/, rejects/ and a matching stats.json (read -> the ops in ``rejected``)."""
    (root / "samples").mkdir(parents=True, exist_ok=True)
    (root / "rejects").mkdir(exist_ok=True)
    for k in range(shards):
        with open(root / "samples" / f"shard-{k:05d}.jsonl", "w", encoding="utf-8") as fh:
            for rec in kept[k::shards]:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(root / "rejects" / "p0-shard-00000.jsonl", "w", encoding="utf-8") as fh:
        for rec in rejected:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    n_in = len(kept) + len(rejected)
    by_op: dict[str, Counter[str]] = {}
    for rec in rejected:
        by_op.setdefault(rec["op"], Counter())[rec["reason"]] += 1
    steps: dict[str, Any] = {
        "read": {"in": n_in, "out": n_in, "rejected": {}, "rejected_total": 0, "seconds": 0.1}
    }
    left = n_in
    for op, reasons in by_op.items():
        out = left - sum(reasons.values())
        steps[op] = {
            "in": left,
            "out": out,
            "rejected": dict(reasons),
            "rejected_total": sum(reasons.values()),
            "routed": {},
            "seconds": 1.5,
            "usage": {"vlm": {"requests": left, "prompt_tokens": 100 * left, "errors": 1}},
        }
        left = out
    stats = {
        "totals": {"input": n_in, "kept": len(kept), "rejected": len(rejected)},
        "steps": steps,
        "reject_reasons": {
            f"{op}:{r}": n for op, reasons in by_op.items() for r, n in reasons.items()
        },
        "usage": {"vlm": {"requests": n_in, "prompt_tokens": 100 * n_in}},
        "recipe": "report-test",
        "wall_seconds": 3.2,
    }
    (root / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    return root


@pytest.fixture
def small_run(tmp_path: Path) -> Path:
    """24 kept samples in three domains, 12 rejects by two ops for three reasons; images that
    are relative, absolute, missing and corrupt; payloads in an instruction, a model answer
    (the trace) and a reject detail."""
    root = tmp_path / "run"
    (root / "images").mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (200 + 20 * i, 120), (60 * i, 120, 200)).save(root / "images" / f"{i}.png")
    outside = tmp_path / "inputs"
    outside.mkdir()
    Image.new("RGB", (300, 200), (250, 200, 10)).save(outside / "abs.jpg")
    (outside / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    domains = ["chart", "ocr", "general"]
    kept = [
        record(
            f"k{i:02d}",
            f"Describe picture number {i} please.",
            f"It shows thing {i}.",
            images=[f"images/{i % 3}.png"],
            domain=domains[i % 3],
            scores={"solvability": 3 + i % 3, "clarity": 4.0},
            raw=f"It shows thing {i}.",
        )
        for i in range(24)
    ]
    kept[0]["images"].append({"path": str(outside / "abs.jpg")})  # multi-image, absolute path
    kept[1]["fields"]["instruction"] = "payload in instruction " + PAYLOAD
    kept[1]["messages"][0]["content"] = "<image>\npayload in instruction " + PAYLOAD
    kept[2]["trace"]["respond"]["response"]["texts"] = ["payload in response " + PAYLOAD]
    kept[2]["messages"][1]["content"] = "payload in response " + PAYLOAD
    rejected = []
    for i in range(12):
        base = record(
            f"r{i:02d}",
            f"Unanswerable question {i}?",
            None,
            images=[str(outside / "corrupt.jpg")] if i == 0 else ["images/missing.png"],
            domain=domains[i % 3],
            scores={"solvability": 1 + i % 2},
            raw=None if i < 2 else f"model said no {i}",
        )
        if i < 2:
            rejected.append(reject(base, "intake", "corrupt", "cannot decode"))
        elif i < 10:
            rejected.append(reject(base, "qc", "low_solvability", f"solvability {1 + i % 2} < 3"))
        else:
            rejected.append(reject(base, "qc", "nonsense", "payload in detail " + PAYLOAD))
    return write_run(root, kept, rejected)
