"""Multi-expert consensus on hand-made expert outputs."""

from __future__ import annotations

from mmrecipe.ops.experts.consensus import box_consensus, label_consensus, text_consensus


def test_labels_kept_when_k_sources_agree() -> None:
    sources = {
        "det_a": [{"label": "Dog"}, {"label": "cars"}, {"label": "dog"}],  # one vote per source
        "det_b": [{"label": "a dog"}, {"label": "bus"}],
        "tagger": [{"tag": "puppy"}, {"tag": "car"}],
    }
    kept = label_consensus(sources, 2, synonyms={"puppy": "dog"})
    assert [(k["label"], k["votes"]) for k in kept] == [("dog", 3), ("car", 2)]
    assert kept[1]["sources"] == ["det_a", "tagger"]
    assert label_consensus(sources, 3, synonyms={"puppy": "dog"})[0]["label"] == "dog"
    assert [k["label"] for k in label_consensus(sources, 3)] == []  # no synonym: dog has 2


def test_boxes_matched_by_iou_and_label() -> None:
    sources = {
        "a": [
            {"label": "dog", "box": [0, 0, 10, 10], "score": 0.9},
            {"label": "cat", "box": [50, 50, 60, 60], "score": 0.8},
        ],
        "b": [
            {"label": "dog", "box": [1, 0, 11, 10], "score": 0.7},  # IoU 0.82 with a's dog
            {"label": "dog", "box": [50, 50, 60, 60], "score": 0.6},  # right place, other label
        ],
        "c": [{"label": "dog", "box": [30, 30, 40, 40], "score": 0.9}],  # nobody else there
    }
    kept = box_consensus(sources, 2, iou_threshold=0.5)
    assert len(kept) == 1
    dog = kept[0]
    assert dog["label"] == "dog" and dog["votes"] == 2 and dog["sources"] == ["a", "b"]
    # score-weighted mean: x0 = (0 * 0.9 + 1 * 0.7) / 1.6
    assert dog["box"] == [round(0.7 / 1.6, 1), 0.0, round((10 * 0.9 + 11 * 0.7) / 1.6, 1), 10.0]
    # labels ignored: the cat/dog boxes at (50, 50) now agree too
    assert len(box_consensus(sources, 2, iou_threshold=0.5, match_labels=False)) == 2
    # a stricter IoU separates the two dog boxes
    assert box_consensus(sources, 2, iou_threshold=0.9) == []


def test_one_source_never_votes_twice_for_a_box() -> None:
    sources = {
        "a": [{"label": "x", "box": [0, 0, 10, 10]}, {"label": "x", "box": [0, 0, 10, 10]}],
        "b": [],
    }
    assert box_consensus(sources, 2) == []


def test_ocr_lines_agree_after_normalization() -> None:
    sources = {
        "tesseract": "OPEN 24 HOURS\nEXIT",
        "trocr": ["open 24 hours", "Exlt"],
        "florence": ["OPEN 24 H0URS", "nothing alike"],
    }
    kept = text_consensus(sources, 2, similarity=0.75)
    by_text = {k["text"]: k["votes"] for k in kept}
    assert by_text == {"OPEN 24 HOURS": 3, "EXIT": 2}
