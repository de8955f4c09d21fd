"""``recipes/grounding-qwenvl.yaml`` through the CLI: every coordinate in every turn is
recomputed here, independently (``decimal``), from the source annotation: Qwen-VL's [0, 1000)
boxes and Qwen2.5-VL's absolute pixels of the processor-resized image."""

from __future__ import annotations

import json
import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

from PIL import Image

from mmrecipe.testing.recipe_runs import check_llava_turns, records, run_recipe

#: image id -> (width, height, [(bbox, category)])
IMAGES = {
    1: (640, 480, [([100.5, 50.25, 200, 100.75], "dog"), ([0, 0, 64, 48], "dog"),
                   ([600, 400, 100, 100], "cat"),     # runs off the image: clipped
                   ([10, 10, 0, 5], "person")]),      # no area: skipped
    2: (333, 500, [([0.3, 0.7, 332.7, 499.3], "giraffe"), ([33.3, 66.6, 11.1, 22.2], "bird")]),
    3: (100, 100, [([5, 5, -3, 4], "cup")]),          # nothing usable: rejected
}  # fmt: skip
CATS = {"dog": 18, "cat": 17, "person": 1, "giraffe": 25, "bird": 16, "cup": 47}


def make_coco(root: Path) -> Path:
    root.mkdir()
    images, anns = [], []
    for image_id, (w, h, boxes) in IMAGES.items():
        Image.new("RGB", (w, h), (image_id * 60, 10, 10)).save(root / f"{image_id}.png")
        images.append({"id": image_id, "file_name": f"{image_id}.png", "width": w, "height": h})
        for bbox, cat in boxes:
            anns.append(
                {"id": len(anns) + 1, "image_id": image_id, "bbox": bbox, "category_id": CATS[cat]}
            )
    path = root / "instances.json"
    categories = [{"id": i, "name": n} for n, i in CATS.items()]
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": categories}))
    return path


def clipped(bbox: list[float], w: int, h: int) -> tuple[Decimal, ...] | None:
    x, y, bw, bh = (Decimal(repr(v)) if isinstance(v, float) else Decimal(v) for v in bbox)
    if bw <= 0 or bh <= 0:
        return None
    zero, w, h = Decimal(0), Decimal(w), Decimal(h)
    x1, y1, x2, y2 = max(x, zero), max(y, zero), min(x + bw, w), min(y + bh, h)
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def qwenvl(bbox: list[float], w: int, h: int) -> str:
    x1, y1, x2, y2 = clipped(bbox, w, h)
    q = [min(999, int((v * 1000 / s).to_integral_value(ROUND_FLOOR)))
         for v, s in ((x1, w), (y1, h), (x2, w), (y2, h))]  # fmt: skip
    return f"({q[0]},{q[1]}),({q[2]},{q[3]})"


def expected_boxes(image_id: int, fmt) -> dict[str, list[str]]:
    w, h, boxes = IMAGES[image_id]
    out: dict[str, list[str]] = {}
    for bbox, cat in boxes:
        if clipped(bbox, w, h) is not None:
            out.setdefault(cat, []).append(fmt(bbox, w, h))
    return out


def test_qwenvl_boxes_exact(tmp_path: Path) -> None:
    path = make_coco(tmp_path / "coco")
    stats = run_recipe("grounding-qwenvl.yaml", tmp_path / "run", "--input", str(path))
    out = {r["coco_id"]: r for r in records(tmp_path / "run", "data")}
    assert sorted(out) == [1, 2]
    for image_id, rec in out.items():
        check_llava_turns(rec)
        want = expected_boxes(image_id, qwenvl)
        conv = rec["conversations"]
        grounded: dict[str, list[str]] = {}
        referred: list[tuple[str, str]] = []
        for question, answer in zip(conv[::2], conv[1::2], strict=True):
            q, a = question["value"].removeprefix("<image>\n"), answer["value"]
            m = re.fullmatch(r"<ref>(\w+)</ref>((?:<box>\(\d+,\d+\),\(\d+,\d+\)</box>)+)", a)
            if m:  # grounding: the question names the category, the answer gives every box
                assert f"<ref>{m.group(1)}</ref>" in q
                grounded[m.group(1)] = re.findall(r"<box>(.*?)</box>", m.group(2))
            else:  # referring: a box in the question, the category as the answer
                referred.append((re.search(r"<box>(.*?)</box>", q).group(1), a))
        assert grounded == want
        assert sorted(referred) == sorted((b, c) for c, bs in want.items() for b in bs)
    # the hand-checked values: 100.5/640*1000 = 157.03 -> 157; 300.5/640 -> 469; 151/480 -> 314
    assert "(157,104),(469,314)" in out[1]["conversations"][1]["value"]
    assert "(937,833),(999,999)" in json.dumps(out[1])  # clipped to the image: 640 -> 999
    assert "person" not in json.dumps(out[1]["conversations"])
    assert [c["value"] for c in out[1]["conversations"]].count("dog") == 2
    (reject,) = records(tmp_path / "run", "rejects")
    assert reject["fields"]["coco_id"] == 3 and reject["reason"] == "no_boxes"
    assert stats["steps"]["grounding"]["rejected"] == {"no_boxes": 1}


def test_qwen25vl_absolute_pixels_exact(tmp_path: Path) -> None:
    path = make_coco(tmp_path / "coco")
    run_recipe(
        "grounding-qwenvl.yaml", tmp_path / "run", "--input", str(path),
        "--set", "ops.grounding.format=qwen25vl", "--set", "ops.grounding.tasks=[grounding]",
    )  # fmt: skip
    out = {r["coco_id"]: r for r in records(tmp_path / "run", "data")}
    # Qwen2.5-VL's smart_resize, worked by hand: 640x480 -> 23*28 x 17*28 = 644x476;
    # 333x500 -> 12*28 x 18*28 = 336x504
    resized = {1: (644, 476), 2: (336, 504)}
    for image_id, rec in out.items():
        tw, th = resized[image_id]

        def pixels(bbox: list[float], w: int, h: int, tw: int = tw, th: int = th) -> list[int]:
            x1, y1, x2, y2 = clipped(bbox, w, h)
            return [int((v * t / s).to_integral_value(ROUND_HALF_UP))
                    for v, t, s in ((x1, tw, w), (y1, th, h), (x2, tw, w), (y2, th, h))]  # fmt: skip

        want = expected_boxes(image_id, pixels)
        got: dict[str, list[list[int]]] = {}
        for answer in rec["conversations"][1::2]:
            body = re.fullmatch(r"```json\n(.*)\n```", answer["value"], re.S).group(1)
            for item in json.loads(body):
                got.setdefault(item["label"], []).append(item["bbox_2d"])
        assert got == want
    assert out[1]["conversations"][1]["value"].count("bbox_2d") == 2  # both dogs, one turn


def test_pixel_settings_without_absolute_pixels_are_refused() -> None:
    """Qwen-VL boxes are relative ([0, 1000)): resize settings would be ignored, so they are
    refused at construction (validate and run say it in one line)."""
    import pytest

    from mmrecipe.errors import ConfigError
    from mmrecipe.registry import build_op

    with pytest.raises(ConfigError, match="qwen25vl"):
        build_op("grounding_qa", "grounding", {"format": "qwenvl", "resize": "none"})
    build_op("grounding_qa", "grounding", {"format": "qwen25vl", "resize": "none"})


def test_refcoco_expressions_become_grounding_and_referring_turns(tmp_path: Path) -> None:
    path = make_coco(tmp_path / "coco")
    refs = [
        {"ref_id": 7, "ann_id": 1, "image_id": 1, "split": "train",
         "sentences": [{"sent": "the dog on the left"}, {"sent": "left dog"}]},
        {"ref_id": 8, "ann_id": 5, "image_id": 2, "split": "val",
         "sentences": [{"sent": "tall giraffe"}]},
        {"ref_id": 9, "ann_id": 6, "image_id": 2, "split": "train", "sentences": []},  # malformed
    ]  # fmt: skip
    refs_path = tmp_path / "coco" / "refs.json"
    refs_path.write_text(json.dumps(refs))
    args = ["--input", str(path), "--set", f"input.options.refs={refs_path}"]
    stats = run_recipe("grounding-refcoco.yaml", tmp_path / "run", *args)
    out = {r["coco_id"]: r for r in records(tmp_path / "run", "data")}
    assert sorted(out) == [1, 2]  # image 3 has no refs: not read
    check_llava_turns(out[1])
    turns = out[1]["conversations"]
    dog = qwenvl([100.5, 50.25, 200, 100.75], 640, 480)
    assert f"<ref>the dog on the left</ref><box>{dog}</box>" in [t["value"] for t in turns]
    assert any(t["value"] == "the dog on the left" for t in turns if t["from"] == "gpt")
    assert out[1]["refs"][0]["expressions"] == ["the dog on the left", "left dog"]
    assert stats["reject_reasons"] == {"read:malformed_record": 1}
    # one split only
    run_recipe(
        "grounding-refcoco.yaml", tmp_path / "val", *args, "--set", "input.options.refs_split=val"
    )
    assert [r["coco_id"] for r in records(tmp_path / "val", "data")] == [2]


def test_refcoco_pickles_are_refused(tmp_path: Path) -> None:
    import pytest

    from mmrecipe.errors import InputError
    from mmrecipe.io.refcoco import load_refs

    (tmp_path / "refs(unc).p").write_bytes(b"\x80\x04.")
    with pytest.raises(InputError, match="unpickling runs code"):
        load_refs(tmp_path / "refs(unc).p", None)
