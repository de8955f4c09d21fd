"""visual_search_traces and jigsaw_traces: ThinkMorph's traces over real (here: generated)
photos, answers recomputed from the COCO file itself, rejects by reason, identical reruns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mmrecipe.context import OpContext
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.synth.jigsaw import JigsawGenerator
from mmrecipe.synth.visual_search import VisualSearchGenerator
from mmrecipe.testing.recipe_runs import records, run_recipe

#: file -> (width, height, [(category, [x, y, w, h])])
IMAGES = {
    "street.jpg": (200, 150, [("dog", [30, 40, 40, 30]), ("person", [100, 10, 30, 60]),
                              ("person", [140, 20, 30, 60])]),  # one dog (4 %); two persons
    "close.jpg": (100, 100, [("cat", [5, 5, 90, 90])]),  # 81 %: too large
    "far.jpg": (160, 120, [("car", [10, 10, 3, 2])]),  # 0.03 %: too small
    "park.jpg": (120, 100, [("bird", [10, 10, 20, 20]), ("kite", [60, 30, 40, 40])]),
}  # fmt: skip


def write_coco(folder: Path) -> Path:
    """A tiny COCO instances file with textured photos beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = sorted({c for _, _, objs in IMAGES.values() for c, _ in objs})
    cats = [{"id": i + 1, "name": n} for i, n in enumerate(names)]
    images, anns = [], []
    for i, (file, (w, h, objs)) in enumerate(IMAGES.items()):
        pixels = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / file, quality=92)
        images.append({"id": i + 1, "file_name": file, "width": w, "height": h})
        for cat, bbox in objs:
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "bbox": bbox, "iscrowd": 0,
                         "category_id": names.index(cat) + 1, "area": bbox[2] * bbox[3]})  # fmt: skip
    path = folder / "instances.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return path


def parquet_rows(run_dir: Path) -> list[dict]:
    """The parquet shards' rows, their ``fields`` column (JSON) decoded."""
    rows = [r for f in sorted(run_dir.rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    return [{**r, **json.loads(r["fields"])} for r in rows]


def test_recipe_over_coco_answers_from_the_annotations(tmp_path: Path) -> None:
    source = write_coco(tmp_path / "coco")
    stats = run_recipe("thinkmorph-real.yaml", tmp_path / "a", "--input", str(source))
    rejects = records(tmp_path / "a", "rejects")
    assert sorted((Path(r["images"][0]["path"]).name, r["reason"]) for r in rejects) == [
        ("close.jpg", "no_target_in_range"),
        ("far.jpg", "no_target_in_range"),
    ]
    assert "no_target_in_range" in json.dumps(stats)
    rows = parquet_rows(tmp_path / "a")
    assert len(rows) == 2
    verifier = VisualSearchGenerator()
    allowed = {"street.jpg": {"dog"}, "park.jpg": {"bird", "kite"}}
    for row in rows:
        gt = row["ground_truth"]
        assert len(row["images"]) == 2  # the photo, then the produced zoom
        category = gt["target"]["category"]
        file = next(f for f, names in allowed.items() if category in names)
        w, h, objs = IMAGES[file]
        # recomputed from the COCO file, not from what the op stored
        (x, y, bw, bh), *_ = [b for c, b in objs if c == category]
        assert row["answer"] == f"[{x}, {y}, {x + bw}, {y + bh}]"
        assert 0.01 <= bw * bh / (w * h) <= 0.30
        assert verifier.verify(gt, row["answer"]) is None
        assert verifier.verify(gt, f"[{x + 20}, {y + 20}, {x + bw + 20}, {y + bh + 20}]")
    run_recipe("thinkmorph-real.yaml", tmp_path / "b", "--input", str(source))
    first = sorted((tmp_path / "a" / "images" / "synth").rglob("*.png"))
    again = sorted((tmp_path / "b" / "images" / "synth").rglob("*.png"))
    assert len(first) == 2
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]


def _sample(tmp_path: Path, **fields) -> Sample:
    path = tmp_path / "photo.png"
    pixels = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return Sample(id="p", images=[ImageRef(path=str(path))], fields=dict(fields))


def _run(tmp_path: Path, op_name: str, params: dict, sample: Sample) -> Sample:
    op = build_op(op_name, "step", params)
    op.setup(OpContext(run_dir=tmp_path / "run"))
    return op.process_batch([sample])[0]


def test_targets_from_detections_and_the_zoomed_box(tmp_path: Path) -> None:
    objects = [{"label": "cup", "score": 0.9, "box": [40, 30, 80, 60]},
               {"label": "table", "score": 0.8, "box": [0, 0, 160, 120]}]  # fmt: skip
    sample = _run(tmp_path, "visual_search_traces", {"source": "detections"},
                  _sample(tmp_path, objects=objects))  # fmt: skip
    assert not sample.rejected
    assert sample.fields["answer"] == "[40, 30, 80, 60]"
    assert "Find the cup" in sample.messages[0]["content"]
    with Image.open(sample.images[1].path) as zoomed:
        # 40x30 box, 0.5 margin -> an 80x60 crop scaled to 448 wide; the red frame at the box
        assert zoomed.size == (448, 336)
        assert zoomed.convert("RGB").getpixel((112, 84 + 40)) == (255, 0, 0)
    only_table = [objects[1]]
    rejected = _run(tmp_path, "visual_search_traces", {"source": "detections"},
                    _sample(tmp_path, objects=only_table))  # fmt: skip
    assert rejected.rejection is not None and rejected.rejection.reason == "no_target_in_range"


def test_two_of_a_kind_are_never_asked(tmp_path: Path) -> None:
    boxes = [{"bbox": [10, 10, 30, 30], "category": "cup"},
             {"bbox": [90, 50, 30, 30], "category": "cup"}]  # fmt: skip
    sample = _run(tmp_path, "visual_search_traces", {}, _sample(tmp_path, boxes=boxes))
    assert sample.rejection is not None and sample.rejection.reason == "no_target_in_range"


@pytest.mark.parametrize("difficulty", [1, 3, 5])
def test_jigsaw_from_the_samples_photo(tmp_path: Path, difficulty: int) -> None:
    sample = _run(tmp_path, "jigsaw_traces", {"difficulty": difficulty}, _sample(tmp_path))
    gt, answer = sample.fields["ground_truth"], sample.fields["answer"]
    assert JigsawGenerator().verify(gt, answer) is None
    rows, cols = gt["rows"], gt["cols"]
    # recompute the order from the pixels: each place of the (cropped, scaled) photo is the
    # puzzle tile whose pixels match it
    with (
        Image.open(sample.images[0].path) as puzzle,
        Image.open(_sample(tmp_path).images[0].path) as photo,
    ):
        from mmrecipe.synth.jigsaw import GAP, TILE, fit

        picture = np.asarray(fit(photo.convert("RGB"), (cols * TILE, rows * TILE)), dtype=int)
        tiles = np.asarray(puzzle.convert("RGB"), dtype=int)
        order = []
        for r in range(rows):
            for c in range(cols):
                want = picture[r * TILE + 40 : (r + 1) * TILE, c * TILE + 40 : (c + 1) * TILE]
                for k in range(rows * cols):
                    kr, kc = divmod(k, cols)
                    y, x = GAP + kr * (TILE + GAP), GAP + kc * (TILE + GAP)
                    got = tiles[y + 40 : y + TILE, x + 40 : x + TILE]
                    if np.abs(got - want).max() <= 2:
                        order.append(k + 1)
        assert ", ".join(map(str, order)) == answer
    again = _run(tmp_path / "again", "jigsaw_traces", {"difficulty": difficulty}, _sample(tmp_path))
    assert [Path(i.path).read_bytes() for i in again.images] == [
        Path(i.path).read_bytes() for i in sample.images
    ]


def test_a_photo_unlike_its_annotation_and_crowds_are_refused(tmp_path: Path) -> None:
    boxes = [{"bbox": [40, 30, 40, 30], "category": "cup"}]
    sample = _sample(tmp_path, boxes=boxes)
    sample.images[0].width, sample.images[0].height = 640, 480  # the annotation's size
    done = _run(tmp_path, "visual_search_traces", {}, sample)
    assert done.rejection is not None and done.rejection.reason == "size_mismatch"
    crowd = [{**boxes[0], "iscrowd": 1}]
    done = _run(tmp_path, "visual_search_traces", {}, _sample(tmp_path, boxes=crowd))
    assert done.rejection is not None and done.rejection.reason == "no_target_in_range"
    done = _run(tmp_path, "visual_search_traces", {}, _sample(tmp_path, boxes=boxes))
    assert done.fields["answer"] == "[40, 30, 80, 60]"
