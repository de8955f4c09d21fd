"""fasttext_filter: fit on LLM labels, save the classifier, apply it; reuse it elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.curation.fasttext_filter import FasttextFilter
from mmrecipe.sample import Sample

pytest.importorskip("fasttext")

GOOD = "explain step by step how the bar chart compares revenue across the four quarters"
BAD = "lol what"


def _samples(n: int, labeled: bool = True) -> list[Sample]:
    out = []
    for i in range(n):
        good = i % 2 == 0
        s = Sample(
            id=str(i),
            messages=[
                {"role": "user", "content": f"<image>\n{GOOD if good else BAD} {i}"},
                {"role": "assistant", "content": "a careful reasoned answer" if good else "idk"},
            ],
        )
        if labeled:
            s.scores["llm_quality"] = 4.0 if good else 1.0
        out.append(s)
    return out


def test_fit_apply_and_reuse(tmp_path: Path) -> None:
    op = FasttextFilter(min_labeled=10, epoch=50)
    op.step_name = "learned"
    op.setup(OpContext(run_dir=tmp_path))
    samples = _samples(40)
    op.fit(iter(samples))
    model = tmp_path / "models" / "learned.bin"
    assert model.is_file()
    fresh = _samples(10, labeled=False)
    op.process_batch(fresh)
    kept = {s.id for s in fresh if not s.rejected}
    assert kept == {"0", "2", "4", "6", "8"}
    assert all("learned_prob" in s.scores for s in fresh)
    assert {s.rejection.reason for s in fresh if s.rejected} == {"low_quality"}

    other = FasttextFilter(model_path=str(model))
    other.setup(OpContext(run_dir=tmp_path / "other"))
    other.fit(iter([]))
    again = _samples(10, labeled=False)
    other.process_batch(again)
    assert {s.id for s in again if not s.rejected} == kept


def test_too_few_labels_stop_with_one_line(tmp_path: Path) -> None:
    op = FasttextFilter(min_labeled=10)
    op.setup(OpContext(run_dir=tmp_path))
    with pytest.raises(ConfigError, match="raise the scoring step's sample_rate"):
        op.fit(iter(_samples(4)))


def test_a_fitted_filter_pickles_without_its_native_model(tmp_path: Path) -> None:
    import pickle

    op = FasttextFilter(min_labeled=10, epoch=20)
    op.setup(OpContext(run_dir=tmp_path))
    op.fit(iter(_samples(40)))
    op.ctx = None  # as the Ray executor ships a fitted barrier
    copy = pickle.loads(pickle.dumps(op))
    a, b = _samples(6, labeled=False), _samples(6, labeled=False)
    op.process_batch(a)
    copy.process_batch(b)
    assert [s.scores for s in a] == [s.scores for s in b]
    assert (tmp_path / "models" / "fasttext_filter.bin").stat().st_size < 60_000_000
