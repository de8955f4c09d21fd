"""Florence-2-style consensus beyond labels: refinement rounds until stable (with a cap), and
an LLM caption consensus (scripted server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.context import OpContext
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.testing.openai_server import FakeOpenAIServer


class ScriptedDetector:
    """Finds what it is asked for among ``present``; records every prompt."""

    name, model = "stub", "stub"
    capabilities = frozenset({"detection", "open_vocabulary"})

    def __init__(self, present: set[str], extra: list[str] | None = None) -> None:
        self.present = present
        self.extra = extra or []
        self.prompts: list[list[str]] = []

    def detect(self, images, labels=None, threshold=None):
        asked = list(labels[0])
        self.prompts.append(asked)
        found = [lab for lab in asked if lab in self.present] + self.extra
        return [[{"label": lab, "score": 0.9, "box": [0, 0, 5, 5]} for lab in found]]


def _sample(tmp_path: Path, **fields) -> Sample:
    path = tmp_path / "a.png"
    Image.new("RGB", (16, 16), (1, 2, 3)).save(path)
    sample = Sample(id="a", images=[ImageRef(path=str(path))])
    sample.fields.update(fields)
    return sample


def test_rounds_stop_when_labels_are_stable(tmp_path: Path) -> None:
    op = build_op(
        "consensus_refine",
        "refine",
        {"backend": "owl", "labels_field": "start", "sources": ["detr", "tags"], "max_rounds": 5},
    )
    op.expert = ScriptedDetector(present={"dog", "cat"})
    # round 1 drops "car" (only the start list named it; the detector cannot find it), round 2
    # changes nothing: stable
    sample = _sample(
        tmp_path, start=["dog", "cat", "car"], detr=[{"label": "dog"}], tags=["cat", "car"]
    )
    out = op.process_batch([sample])[0]
    assert [k["label"] for k in out.fields["refined_labels"]] == ["dog", "cat"]
    assert out.scores == {"refined_labels_rounds": 2, "refined_labels_stable": 1.0}
    assert op.expert.prompts == [["dog", "cat", "car"], ["dog", "cat"]]
    assert {d["label"] for d in out.fields["refined_labels_objects"]} == {"dog", "cat"}


def test_the_cap_stops_a_loop_that_never_settles(tmp_path: Path) -> None:
    op = build_op(
        "consensus_refine",
        "refine",
        {
            "backend": "owl",
            "labels_field": "start",
            "sources": ["tags"],
            "max_rounds": 2,
            "min_agree": 1,
        },
    )
    # the detector always adds a new label: the set grows every round
    op.expert = ScriptedDetector(present={"dog"}, extra=[])
    calls = iter(["bird", "fish", "frog"])
    real = op.expert.detect

    def growing(images, labels=None, threshold=None):
        dets = real(images, labels, threshold)
        dets[0].append({"label": next(calls), "score": 0.9, "box": [0, 0, 5, 5]})
        return dets

    op.expert.detect = growing
    out = op.process_batch([_sample(tmp_path, start=["dog"], tags=["dog"])])[0]
    assert out.scores == {"refined_labels_rounds": 2, "refined_labels_stable": 0.0}


def test_refine_refuses_bad_settings() -> None:
    with pytest.raises(Exception, match="max_rounds"):
        build_op(
            "consensus_refine",
            "r",
            {"backend": "o", "labels_field": "l", "sources": ["a"], "max_rounds": 0},
        )


def test_caption_consensus_asks_an_llm_with_the_candidates(tmp_path: Path) -> None:
    seen: list[str] = []

    def reply(body: dict) -> str:
        seen.append(body["messages"][-1]["content"])
        return "A brown dog on grass."

    with FakeOpenAIServer("plain", model="llm", responder=reply) as server:
        ctx = OpContext(run_dir=tmp_path)
        ctx.backend_specs = {"llm": {"type": "openai", "model": "llm", "base_url": server.base_url}}
        op = build_op(
            "caption_consensus", "caption", {"backend": "llm", "sources": ["a", "b", "c"]}
        )
        op.setup(ctx)
        good = Sample(id="g", fields={"a": "a dog on grass", "b": "a brown dog", "c": " "})
        thin = Sample(id="t", fields={"a": "a dog", "b": "", "c": None})
        import asyncio

        out = asyncio.run(op.aprocess_batch([good, thin]))
    assert out[0].fields["consensus_caption"] == "A brown dog on grass."
    assert out[0].fields["caption_candidates"] == "1. a dog on grass\n2. a brown dog"
    assert "at least 2 of these 3 captions" in seen[0] and "2. a brown dog" in seen[0]
    assert out[1].rejection.reason == "too_few_captions" and len(seen) == 1


def test_entity_consistency_scores_recurring_entities(tmp_path: Path) -> None:
    from mmrecipe.ops.curation.entity_consistency import recurrence

    assert recurrence([{"person", "cup"}, {"person"}, {"dog"}]) == (2 / 3, (0.5 + 0.0) / 2)
    op = build_op("entity_consistency", "entities", {"backend": "det", "min_recurrence": 0.5})

    class Det:
        def detect(self, images, labels=None, threshold=None):
            return [
                [{"label": "person", "score": 0.9}, {"label": "cups", "score": 0.9}],
                [{"label": "cup", "score": 0.8}, {"label": "car", "score": 0.2}],  # car: too weak
                [{"label": "dog", "score": 0.9}],
            ][: len(images)]

    op.expert = Det()
    paths = []
    for i in range(3):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (8, 8), (i, 0, 0)).save(path)
        paths.append(ImageRef(path=str(path)))
    three = Sample(id="three", images=paths)
    two = Sample(id="two", images=paths[2:] + paths[:1])
    out = {s.id: s for s in op.process_batch([three, Sample(id="one", images=paths[:1]), two])}
    assert out["three"].fields["entities"] == [["cup", "person"], ["cup"], ["dog"]]
    assert out["three"].scores["entity_recurrence"] == pytest.approx(0.6667)
    assert out["three"].rejection is None
    assert out["one"].scores == {} and out["one"].rejection is None  # one image: not scored
    # the detector's first two answers for the two-image document share "cup": kept
    assert out["two"].scores["entity_recurrence"] == 1.0
