"""text_region_consensus: readings that differ from the ground truth reject the sample with
every reading; the rectified crop and the error rate it is judged by."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.ops.synthesis.text_region_consensus import TextRegionConsensus, cer, rectify
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.synth.base import item_rng
from mmrecipe.synth.multilingual.scene_text_gen import SceneTextGenerator


def test_disagreement_is_rejected_with_every_reading(tmp_path: Path) -> None:
    gen = SceneTextGenerator(languages=["en"], tasks=["ocr"])
    item = gen.make(item_rng(0, "scene_text", 1), 1)
    path = tmp_path / "x.png"
    item.images[0].save(path)
    gt = json.loads(json.dumps(item.ground_truth))
    true = gt["regions"][0]["text"]
    gt["regions"][0]["text"] = "Totally Different"
    sample = Sample(id="s", images=[ImageRef(str(path))], fields={"ground_truth": gt})
    op = TextRegionConsensus()
    op.setup(_ctx(tmp_path))
    op.process_batch([sample])
    assert sample.rejection is not None and sample.rejection.reason == "ocr_disagreement"
    detail = json.loads(sample.rejection.detail or "")
    assert detail[0]["text"] == "Totally Different"
    assert cer(detail[0]["readings"]["tesseract"].lower(), true.lower()) < 0.2


def test_rectify_undoes_the_perspective() -> None:
    im = Image.new("RGB", (200, 100), "white")
    quad = [[20, 10], [180, 30], [180, 70], [20, 90]]
    flat = rectify(im, quad, [160, 80])
    assert flat.height == 64 + 2 * 16
    assert cer("abcd", "abcd") == 0 and cer("abxd", "abcd") == 0.25


def test_options_are_checked() -> None:
    from mmrecipe.errors import ConfigError

    with pytest.raises(ConfigError, match="min_agreement"):
        TextRegionConsensus(min_agreement=0)
    with pytest.raises(ConfigError, match="names no recognizer"):
        TextRegionConsensus(recognizer_languages={"trocr": ["en"]})


def _ctx(tmp_path: Path):  # type: ignore[no-untyped-def]
    from mmrecipe.context import OpContext

    return OpContext(run_dir=tmp_path)


def test_min_region_share_lets_a_page_keep_a_misread_line(tmp_path: Path) -> None:
    from mmrecipe.synth.multilingual.ml_document import MultilingualDocumentGenerator

    item = MultilingualDocumentGenerator(modes=["page"]).make(item_rng(0, "d", 0), 1)
    path = tmp_path / "p.png"
    item.images[0].save(path)
    gt = json.loads(json.dumps(item.ground_truth))
    gt["regions"][-1]["text"] = "Not what the page says"
    share = 1 - 1 / len(gt["regions"])
    kept = []
    for min_share in (1.0, share):
        sample = Sample(id="p", images=[ImageRef(str(path))], fields={"ground_truth": gt})
        op = TextRegionConsensus(min_region_share=min_share)
        op.setup(_ctx(tmp_path))
        op.process_batch([sample])
        kept.append(sample.rejection is None)
    assert kept == [False, True]


def test_a_bad_record_is_one_reject(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    Image.new("RGB", (50, 20), "white").save(path)
    (tmp_path / "not.png").write_text("not an image")
    bad_quad = {"regions": [{"text": "a", "language": "en", "quad": [[0, 0]]}]}
    samples = [
        Sample(id="a", images=[ImageRef(str(path))], fields={"ground_truth": bad_quad}),
        Sample(
            id="b", images=[ImageRef(str(tmp_path / "not.png"))], fields={"ground_truth": bad_quad}
        ),
        Sample(id="c", images=[ImageRef(str(path))], fields={}),
    ]
    op = TextRegionConsensus()
    op.setup(_ctx(tmp_path))
    op.process_batch(samples)
    assert [s.rejection.reason for s in samples if s.rejection] == [
        "bad_text_regions",
        "unreadable_image",
        "no_text_regions",
    ]
