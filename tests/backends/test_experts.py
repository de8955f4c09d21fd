"""Expert backends on tiny random models: output shapes and conventions, not quality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.errors import ConfigError
from mmrecipe.experts.geometry import rle_decode

pytest.importorskip("torch", reason="expert backends need the 'hf' extra (torch)")

from mmrecipe.backends import build_backend
from mmrecipe.testing.tiny_experts import build_tiny

IMAGES = [Image.new("RGB", (50, 40), "red"), Image.new("RGB", (30, 60), "blue")]


def _backend(kind: str, family: str, stand_ins: Path, **settings: object) -> object:
    model = build_tiny(family, stand_ins / f"backend-{family}")
    return build_backend(family, {"type": kind, "model": str(model), "device": "cpu", **settings})


def test_florence2_tasks_and_od_parsing(tiny_stand_ins: Path) -> None:
    fl = _backend("image_to_text", "florence2", tiny_stand_ins, min_new_tokens=4, max_new_tokens=8)
    assert {"caption", "ocr", "detection"} <= fl.capabilities
    captions = fl.describe(IMAGES, "caption")
    assert len(captions) == 2 and all(isinstance(c, str) for c in captions)
    assert len(fl.detect(IMAGES)) == 2  # random text: usually no box, never an error
    text = "dog<loc_100><loc_200><loc_300><loc_400>cat<loc_0><loc_0><loc_999><loc_999>"
    boxes = fl.parse_od(text, 50, 40)
    assert [b["label"] for b in boxes] == ["dog", "cat"]
    x0, y0, x1, y1 = boxes[0]["box"]
    assert 4 <= x0 <= 6 and 7 <= y0 <= 9 and 14 <= x1 <= 16 and 15 <= y1 <= 17
    assert boxes[1]["box"][2] <= 50 and boxes[1]["box"][3] <= 40  # inside the image
    assert [b["label"] for b in fl.parse_od(text, 50, 40, ["CAT"])] == ["cat"]


@pytest.mark.parametrize(
    ("family", "task"), [("blip", "caption"), ("blip2", "caption"), ("trocr", "ocr")]
)
def test_captioners_and_ocr(family: str, task: str, tiny_stand_ins: Path) -> None:
    model = _backend("image_to_text", family, tiny_stand_ins, min_new_tokens=3, max_new_tokens=6)
    assert task in model.capabilities and "detection" not in model.capabilities
    texts = model.describe(IMAGES, task)
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)
    with pytest.raises(TypeError):
        model.detect(IMAGES)
    if family != "trocr":  # only vision-encoder-decoder models take kind:
        with pytest.raises(ConfigError, match="kind"):
            model = build_tiny(family, tiny_stand_ins / f"backend-{family}")
            spec = {"type": "image_to_text", "model": str(model), "kind": "ocr"}
            build_backend("x", spec)


def test_sam_point_grid_masks_match_their_areas(tiny_stand_ins: Path) -> None:
    sam = _backend("segmenter", "sam", tiny_stand_ins, points_per_side=3, pred_iou_threshold=0.0)
    regions = sam.segment(IMAGES)
    assert len(regions) == 2
    for image, found in zip(IMAGES, regions, strict=True):
        for region in found:
            mask = rle_decode(region["mask"])
            assert mask.shape == (image.height, image.width)
            assert int(mask.sum()) == region["area"] > 0
    by_box = sam.segment(IMAGES, [[[0, 0, 20, 20]], []])
    assert by_box[1] == [] and all(r["prompt_box"] == [0.0, 0.0, 20.0, 20.0] for r in by_box[0])


def test_taggers_and_embedder(tiny_stand_ins: Path) -> None:
    multi = _backend("tagger", "classifier", tiny_stand_ins, top_k=3)
    tags = multi.tag(IMAGES)
    assert [len(t) for t in tags] == [3, 3]
    assert all(t[0]["score"] >= t[1]["score"] for t in tags)
    only = _backend("tagger", "classifier", tiny_stand_ins, tags=["dog", "cat"], top_k=5)
    assert all({t["tag"] for t in row} <= {"dog", "cat"} for row in only.tag(IMAGES))
    with pytest.raises(ConfigError, match="no class unicorn"):
        _backend("tagger", "classifier", tiny_stand_ins, tags=["unicorn"])
    with pytest.raises(ConfigError, match="prompt_template"):
        _backend("tagger", "classifier", tiny_stand_ins, prompt_template="{}")
    zero = _backend("tagger", "clip", tiny_stand_ins, tags=["dog", "cat"], top_k=5)
    probs = [sum(t["score"] for t in row) for row in zero.tag(IMAGES)]
    assert probs == pytest.approx([1.0, 1.0], abs=1e-3)  # CLIP: softmax over the tag list
    emb = _backend("embedder", "clip", tiny_stand_ins)
    vectors = emb.embed_images(IMAGES)
    assert vectors.dtype == np.float32 and np.allclose(
        np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5
    )
    assert emb.embed_texts(["a dog", "a cat on a red table"]).shape == vectors.shape
    siglip = _backend("tagger", "siglip", tiny_stand_ins, tags=["dog", "cat"])
    assert siglip.sigmoid and len(siglip.tag(IMAGES)[0]) == 2  # independent sigmoid scores
    sig_emb = _backend("embedder", "siglip", tiny_stand_ins)
    assert sig_emb.embed_texts(["a dog"]).shape == sig_emb.embed_images(IMAGES[:1]).shape
    with pytest.raises(Exception, match="tags"):  # zero-shot with no vocabulary at all
        _backend("tagger", "clip", tiny_stand_ins, vocabulary="none")
    # no tags given: the open vocabulary (WordNet-derived) is the default
    open_tagger = _backend("tagger", "clip", tiny_stand_ins, top_k=3)
    assert len(open_tagger.tags) > 2500 and "dog" in open_tagger.tags
    assert all(t["tag"] in set(open_tagger.tags) for t in open_tagger.tag(IMAGES)[0])


def test_detector_families(tiny_stand_ins: Path) -> None:
    owl = _backend("detector", "owlv2", tiny_stand_ins, threshold=0.0, max_detections=4)
    assert "open_vocabulary" in owl.capabilities
    found = owl.detect(IMAGES, [["dog", "cat"], ["car"]])
    assert {d["label"] for d in found[0]} <= {"dog", "cat"} and {d["label"] for d in found[1]} <= {
        "car"
    }
    assert all(len(f) <= 4 for f in found)
    assert owl.detect(IMAGES, [[], []]) == [[], []]  # no vocabulary: nothing to look for


def test_grounding_prompts_split_to_fit_the_text_encoder() -> None:
    from types import SimpleNamespace

    from mmrecipe.backends.experts.detector import DetectorBackend, match_vocabulary

    class Words:  # one token per word, one for the "."
        def tokenize(self, text: str) -> list[str]:
            return text.replace(".", " .").split()

    fake = SimpleNamespace(
        model_type="grounding-dino",
        engine=SimpleNamespace(config=SimpleNamespace(max_text_len=10)),
        processor=SimpleNamespace(tokenizer=Words()),
    )
    vocab = ["dog", "traffic light", "cat", "red fire hydrant", "cup"]
    parts = DetectorBackend._vocab_parts(fake, vocab)  # 8 tokens per part at most
    assert parts == [["dog", "traffic light"], ["cat", "red fire hydrant"], ["cup"]]
    assert [label for part in parts for label in part] == vocab
    fake.model_type = "owlv2"  # OWL takes one query per label: no split
    assert DetectorBackend._vocab_parts(fake, vocab) == [vocab]
    assert match_vocabulary("a traffic light.", vocab) == "traffic light"
    assert match_vocabulary("[UNK] [SEP]", vocab) is None
