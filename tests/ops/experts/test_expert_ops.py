"""Expert ops on hand-made expert outputs (no model) and, where a model is needed, on tiny
random experts: what each stores, and which samples it rejects and why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.experts.embstore import VectorReader, write_vectors
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample


def _image(path: Path, size: tuple[int, int] = (100, 50)) -> ImageRef:
    Image.new("RGB", size, (10, 200, 30)).save(path)
    return ImageRef(path=str(path))


def test_semantic_dedup_op_rejects_planted_duplicates(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors[40] = vectors[3]
    vectors[41] = vectors[3] * 2
    ids = [f"s{i}" for i in range(50)]
    refs = write_vectors(tmp_path, "embed", "image", ids, vectors)
    samples = [
        Sample(id=i, images=[ImageRef(path=f"images/{i}.jpg")], fields={"image_embedding": r})
        for i, r in zip(ids, refs, strict=True)
    ]
    samples.append(Sample(id="no-vector"))
    samples.append(
        Sample(id="bad-ref", fields={"image_embedding": {"file": "../../etc/passwd", "row": 0}})
    )
    op = build_op("semantic_dedup", "semdedup", {"eps": 0.001, "n_clusters": 3, "keep": "first"})
    op.setup(OpContext(run_dir=tmp_path))
    op.fit(iter(samples))
    out = op.process_batch(samples)
    rejected = {s.id: s.rejection for s in out if s.rejection}
    assert set(rejected) == {"s40", "s41"}
    assert rejected["s40"].reason == "near_duplicate" and "sample s3" in rejected["s40"].detail
    assert "(image images/s3.jpg)" in rejected["s40"].detail  # the survivor's image too
    assert not (tmp_path / "state" / "semdedup-semdedup.f32").exists()  # scratch removed


def test_vectors_round_trip_as_float16_files(tmp_path: Path) -> None:
    v = np.eye(3, 4, dtype=np.float32)
    refs = write_vectors(tmp_path, "embed", "image", ["a", "b", "c"], v)
    assert refs[1] == {"file": refs[0]["file"], "row": 1, "dim": 4}
    assert np.load(tmp_path / refs[0]["file"]).dtype == np.float16
    reader = VectorReader(tmp_path)
    assert reader.get(refs[2]).tolist() == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        reader.get({"file": refs[0]["file"], "row": 7})
    # the same batch again (a redone shard) rewrites the same file
    assert write_vectors(tmp_path, "embed", "image", ["a", "b", "c"], v) == refs


def test_expert_consensus_op() -> None:
    op = build_op(
        "expert_consensus",
        "agree",
        {"sources": ["a", "b"], "kind": "boxes", "coco_field": "boxes", "min_items": 1},
    )
    good = Sample(
        id="good",
        fields={
            "a": [{"label": "dog", "box": [0, 0, 10, 10], "score": 1.0}],
            "b": [{"label": "dogs", "box": [0, 0, 10, 9], "score": 1.0}],
        },
    )
    lonely = Sample(id="lonely", fields={"a": [{"label": "dog", "box": [0, 0, 10, 10]}], "b": []})
    broken = Sample(id="broken", fields={"a": "not a list", "b": []})
    op.process_batch([good, lonely, broken])
    assert good.rejection is None
    assert good.fields["boxes"] == [{"bbox": [0.0, 0.0, 10.0, 9.5], "category": "dog", "votes": 2}]
    assert good.scores["consensus_agreement"] == 1.0
    assert lonely.rejection.reason == "no_consensus" and lonely.scores["consensus_agreement"] == 0.0
    assert broken.rejection.reason == "bad_expert_output"
    with pytest.raises(ConfigError):
        build_op("expert_consensus", "x", {"sources": ["a", "b"], "min_agree": 3})


def test_textualize_facts_op_reads_positions_from_the_image(tmp_path: Path) -> None:
    op = build_op("textualize_facts", "facts", {"ocr_field": "ocr", "vocabulary": ["unicorn"]})
    ref = _image(tmp_path / "a.png")
    sample = Sample(
        id="s",
        images=[ref],
        fields={
            "caption": "A unicorn and a dog.",
            "objects": [{"label": "dog", "box": [80, 0, 100, 10]}],
            "tags": ["dog"],
            "ocr": "HELLO",
        },
    )
    missing = Sample(id="m", images=[ref], fields={"objects": []})
    op.process_batch([sample, missing])
    assert sample.fields["textualization"]["unconfirmed"] == ["unicorn"]
    assert "1 x dog (top right)" in sample.fields["facts"]
    assert missing.rejection.reason == "missing_field"


def test_region_qa_op(tmp_path: Path) -> None:
    op = build_op("region_qa", "qa", {"questions": "both"})
    ref = _image(tmp_path / "a.png", (200, 100))
    sample = Sample(
        id="s",
        images=[ref],
        fields={
            "regions": [
                {"box": [0, 0, 100, 50], "caption": "a green field", "tags": [{"tag": "grass"}]}
            ]
        },
    )
    empty = Sample(id="e", images=[ref], fields={"regions": [{"box": [0, 0, 1, 1]}]})
    op.process_batch([sample, empty])
    assert sample.messages == [
        {"role": "user", "content": "<image>\nWhat is in the region [0, 0, 500, 500]?"},
        {"role": "assistant", "content": "a green field"},
        {"role": "user", "content": "Where is the grass? Answer with a box."},
        {"role": "assistant", "content": "[0, 0, 500, 500]"},
    ]
    assert empty.rejection.reason == "no_regions"


def test_backend_settings_are_validated_per_type() -> None:
    pytest.importorskip("torch")
    from mmrecipe.backends import build_backend

    with pytest.raises(ConfigError, match=r"backends.det.threshold: .*less than or equal to 1"):
        build_backend("det", {"type": "detector", "model": "x", "threshold": 3})
    with pytest.raises(ConfigError, match="pred_iou"):
        build_backend("seg", {"type": "segmenter", "model": "x", "pred_iou": 0.5})


def test_detector_op_rejects_only_the_unreadable_image(
    tmp_path: Path, tiny_stand_ins: Path
) -> None:
    from mmrecipe.testing.tiny_experts import build_tiny

    model = build_tiny("detr", tiny_stand_ins / "ops-detr")
    ctx = OpContext(
        run_dir=tmp_path,
        backend_specs={
            "det": {"type": "detector", "model": str(model), "threshold": 0.0, "device": "cpu"}
        },
    )
    op = build_op(
        "detect_objects", "objects", {"backend": "det", "labels": ["dog", "cat"], "min_objects": 1}
    )
    op.setup(ctx)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG broken")
    good = Sample(id="good", images=[_image(tmp_path / "a.png")])
    bad = Sample(id="bad", images=[ImageRef(path=str(tmp_path / "bad.png"))])
    none = Sample(id="none")
    op.process_batch([good, bad, none])
    assert bad.rejection.reason == "unreadable_image" and none.rejection.reason == "no_image"
    dets = good.fields["objects"]
    assert all(d["label"] in ("dog", "cat") for d in dets)  # the closed set filtered to labels
    for d in dets:
        x0, y0, x1, y1 = d["box"]
        assert 0 <= x0 < x1 <= 100 and 0 <= y0 < y1 <= 50
    assert good.rejection is None or good.rejection.reason == "too_few_objects"


def test_clip_score_reuses_stored_vectors(tmp_path: Path, tiny_stand_ins: Path) -> None:
    from mmrecipe.testing.tiny_experts import build_tiny

    model = build_tiny("clip", tiny_stand_ins / "ops-clip")
    specs = {"clip": {"type": "embedder", "model": str(model), "device": "cpu"}}
    ctx = OpContext(run_dir=tmp_path, backend_specs=specs)
    embed = build_op("embed", "embed", {"backend": "clip", "text_source": "caption"})
    fresh = build_op(
        "clip_score", "fresh", {"backend": "clip", "text_source": "caption", "min_score": -1}
    )
    reuse = build_op(
        "clip_score",
        "reuse",
        {
            "backend": "clip",
            "text_source": "caption",
            "min_score": 2,
            "image_embedding_field": "image_embedding",
        },
    )
    for op in (embed, fresh, reuse):
        op.setup(ctx)
    samples = [
        Sample(
            id="a", images=[_image(tmp_path / "a.png")], fields={"caption": "a dog on the grass"}
        ),
        Sample(id="b", images=[_image(tmp_path / "b.png")], fields={}),
    ]
    embed.process_batch(samples)
    assert samples[1].rejection.reason == "no_text"
    a = samples[0]
    assert (tmp_path / a.fields["image_embedding"]["file"]).is_file()
    fresh.process_batch([a])
    first = a.scores["clip_score"]
    reuse.process_batch([a])
    assert a.scores["clip_score"] == pytest.approx(first, abs=2e-3)  # float16 storage
    assert a.rejection.reason == "low_clip_score"


def test_segment_regions_prompted_by_detections_keep_their_labels(
    tmp_path: Path, tiny_stand_ins: Path
) -> None:
    from mmrecipe.experts.geometry import rle_decode
    from mmrecipe.testing.tiny_experts import build_tiny

    model = build_tiny("sam", tiny_stand_ins / "ops-sam")
    ctx = OpContext(
        run_dir=tmp_path,
        backend_specs={"sam": {"type": "segmenter", "model": str(model), "device": "cpu"}},
    )
    op = build_op(
        "segment_regions",
        "regions",
        {"backend": "sam", "boxes_field": "objects", "keep_masks": False},
    )
    op.setup(ctx)
    sample = Sample(
        id="s",
        images=[_image(tmp_path / "a.png")],
        fields={
            "objects": [
                {"label": "dog", "box": [1.234, 2.0, 40.05, 30.0]},
                {"label": "bad", "box": [1, 2]},
            ]
        },
    )
    nothing = Sample(id="n", images=[_image(tmp_path / "b.png")], fields={"objects": []})
    op.process_batch([sample, nothing])
    regions = sample.fields["regions"]
    assert len(regions) == 1  # the malformed box is skipped
    for region in regions:
        assert region["label"] == "dog" and region["prompt_box"] == [1.2, 2.0, 40.0, 30.0]
        assert "mask" not in region
    assert nothing.fields["regions"] == []
    keep = build_op("segment_regions", "r2", {"backend": "sam", "boxes_field": "objects"})
    keep.setup(ctx)
    keep.process_batch([sample])
    for region in sample.fields["regions"]:
        assert int(rle_decode(region["mask"]).sum()) == region["area"]
