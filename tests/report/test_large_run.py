"""A 100k-sample run gives a page under 20 MB that still holds a bounded, sampled gallery."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.report import DEFAULT_MAX_SAMPLES, write_report

N_KEPT = 70_000
N_REJECTED = 30_000
N_IMAGES = 1500
REASONS = [("qc", "low_solvability"), ("qc", "nonsense"), ("intake", "corrupt"), ("dedup", "dup")]


def _generate(root: Path) -> Path:
    """Write the run's JSONL directly (no models, no executor): seconds, not minutes."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "samples").mkdir()
    (root / "rejects").mkdir()
    for i in range(N_IMAGES):  # noisy pixels: thumbnails as large as real photos' or larger
        pixels = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "images" / f"{i}.png")
    long_answer = "The chart shows a steady rise. " * 100  # 3,100 characters
    domains = ["chart", "ocr", "general", "math", "document"]

    def body(i: int) -> dict:
        images = [{"path": f"images/{i % N_IMAGES}.png", "width": 120, "height": 90}]
        if i % 7 == 0:
            images.append({"path": f"images/{(i * 31) % N_IMAGES}.png"})
        answer = long_answer if i % 10 == 0 else f"Answer number {i}, with a few more words."
        return {
            "images": images,
            "messages": [
                {"role": "user", "content": f"<image>\nWhat does figure {i} show in detail?"},
                {"role": "assistant", "content": answer},
            ],
            "fields": {"domain": domains[i % 5], "instruction": f"What does figure {i} show?"},
            "scores": {"solvability": 1 + i % 5, "clarity": round((i % 100) / 20, 2)},
            "trace": {
                "respond": {
                    "request": {"messages": [{"content": "data:image/png;base64," + "A" * 400}]},
                    "response": {"texts": [answer], "prompt_tokens": 700},
                }
            },
        }

    for shard in range(7):
        with open(root / "samples" / f"shard-{shard:05d}.jsonl", "w", encoding="utf-8") as fh:
            for i in range(shard * 10_000, (shard + 1) * 10_000):
                fh.write(json.dumps({"id": f"s{i:06d}", **body(i)}) + "\n")
    with open(root / "rejects" / "p0-shard-00000.jsonl", "w", encoding="utf-8") as fh:
        for j in range(N_REJECTED):
            op, reason = REASONS[0] if j % 100 else REASONS[1 + (j // 100) % 3]
            head = {"id": f"r{j:06d}", "op": op, "reason": reason, "detail": f"detail {j}"}
            fh.write(json.dumps({**head, **body(N_KEPT + j)}) + "\n")
    stats = {
        "totals": {"input": N_KEPT + N_REJECTED, "kept": N_KEPT, "rejected": N_REJECTED},
        "steps": {"read": {"in": N_KEPT + N_REJECTED, "out": N_KEPT + N_REJECTED}},
        "reject_reasons": {f"{op}:{r}": 1 for op, r in REASONS},
    }
    (root / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    return root


@pytest.mark.slow
def test_100k_run_report_is_small(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    run = _generate(tmp_path / "big")
    t1 = time.perf_counter()
    path = write_report(run)
    t2 = time.perf_counter()
    size = path.stat().st_size
    print(
        f"\n100k-sample run: generated in {t1 - t0:.1f}s, report built in {t2 - t1:.1f}s, "
        f"{size / 1e6:.2f} MB"
    )
    assert size < 20 * 1024 * 1024
    page = path.read_text(encoding="utf-8")
    assert f"of {N_KEPT + N_REJECTED:,} samples (sampled deterministically" in page
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    data = json.loads(m.group(1))  # type: ignore[union-attr]
    cards = data["cards"]
    assert 0 < len(cards) <= DEFAULT_MAX_SAMPLES
    reasons = {c["reason"] for c in cards if c["status"] == "rejected"}
    assert reasons == {r for _, r in REASONS}  # rare reasons are represented too
    assert {c["domain"] for c in cards if c["status"] == "kept"} == {
        "chart",
        "ocr",
        "general",
        "math",
        "document",
    }
    assert "AAAAAAAAAAAAAAAAAAAA" not in json.dumps([c["outputs"] for c in cards])


def test_hostile_text_is_bounded_by_the_card_budget(tmp_path: Path) -> None:
    """Escaping turns each ``<`` into six bytes; the budget counts the escaped bytes."""
    text = "<" * 5000
    kept = [
        {
            "id": f"s{i}",
            "messages": [{"role": "user", "content": text}] * 12,
            "fields": {"instruction": text, "caption": "字" * 5000},
            "trace": {"a": {"response": {"texts": [text] * 4}}},
        }
        for i in range(1500)
    ]
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    with open(run / "samples" / "shard-00000.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(k, ensure_ascii=False) + "\n" for k in kept)
    (run / "stats.json").write_text(json.dumps({"totals": {"input": 1500}}), encoding="utf-8")
    path = write_report(run, max_samples=1500)
    page = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 12 * 1024 * 1024
    assert "sampled cards left out to keep the page small" in page
