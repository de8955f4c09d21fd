"""synth_verify: keeps right answers, rejects tampered answers and edited replies with reasons."""

from __future__ import annotations

from pathlib import Path

from mmrecipe.context import OpContext
from mmrecipe.registry import build_op
from mmrecipe.sample import Sample


def _samples(tmp_path: Path) -> list[Sample]:
    src = build_op(
        "synth_mix",
        "mix",
        {"generators": {"geometry": 1, "maze": 1, "chart_refocus": 1}, "num_samples": 6},
    )
    src.setup(OpContext(run_dir=tmp_path))
    return src.generate(0, 6)


def test_keeps_correct_samples_and_rejects_tampering(tmp_path: Path) -> None:
    op = build_op("synth_verify", "verify", {})
    samples = _samples(tmp_path)
    samples[0].fields["answer"] = "12345"  # wrong answer everywhere it matters
    samples[0].messages[-1]["content"] += "2345"
    samples[1].messages[-1]["content"] = "I am not sure."  # reply no longer ends with the answer
    samples.append(Sample(id="plain", fields={"caption": "a cat"}))
    samples.append(
        Sample(id="ghost", fields={"generator": "nope", "ground_truth": {}, "answer": "1"})
    )
    out = op.process_batch(samples)
    reasons = {s.id: s.rejection for s in out if s.rejection}
    assert reasons[samples[0].id].reason == "answer_mismatch"
    assert samples[0].fields["generator"] in reasons[samples[0].id].detail
    assert reasons[samples[1].id].reason == "answer_mismatch"
    assert "does not end with the answer" in reasons[samples[1].id].detail
    assert reasons["plain"].reason == "not_synthetic"
    assert reasons["ghost"].reason == "unknown_generator"
    kept = [s for s in out if not s.rejected]
    assert len(kept) == 4 and all(s.fields["verified"] for s in kept)
