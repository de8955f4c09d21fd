"""Checks every synthesis generator must pass: seeded bytes, verifier accepts and rejects."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from mmrecipe.synth.base import Generator, item_rng
from mmrecipe.synth.source import generate_samples


def tamper(answer: str) -> str:
    """A plausible wrong answer: a changed number, word or grounded-OCR text."""
    if answer.startswith("[{"):
        data = json.loads(answer)
        data[0]["text"] += "X"
        return json.dumps(data)
    digits = list(re.finditer(r"\d+", answer))
    if digits:
        m = digits[-1]
        return answer[: m.start()] + str(int(m.group()) + 1) + answer[m.end() :]
    return answer + " extra"


def _bytes_of(generator: Generator, seed: int, out: Path, n: int) -> list[tuple[bytes, str]]:
    samples = generate_samples(generator, 0, n, seed, 2, out)
    return [
        (Path(s.images[0].path).read_bytes(), json.dumps(s.to_dict()["messages"])) for s in samples
    ]


def check_determinism(generator: Generator, tmp_path: Path, n: int = 4) -> None:
    first = _bytes_of(generator, 7, tmp_path / "a", n)
    again = _bytes_of(generator, 7, tmp_path / "b", n)
    other = _bytes_of(generator, 8, tmp_path / "c", n)
    assert first == again, "same seed must give identical image bytes and text"
    assert all(a[0] != o[0] for a, o in zip(first, other, strict=True)), "other seed, same image"
    png = first[0][0]
    assert b"tEXt" not in png and b"tIME" not in png, "PNG carries metadata"


def check_verifier(generator: Generator, n: int, difficulties: tuple[int, ...] = (1, 2, 3)) -> None:
    tasks = set()
    for i in range(n):
        item = generator.make(item_rng(i, generator.kind, i), difficulties[i % len(difficulties)])
        tasks.add(item.task)
        gt = json.loads(json.dumps(item.ground_truth))  # as stored in the output
        assert generator.verify(gt, item.answer) is None, (item.task, item.answer)
        bad = tamper(item.answer)
        reason = generator.verify(gt, bad)
        assert reason, f"tampered {item.task} answer accepted: {bad!r}"
    return tasks


@pytest.fixture
def determinism() -> Callable[..., None]:
    return check_determinism


@pytest.fixture
def verifier() -> Callable[..., set[str]]:
    return check_verifier
