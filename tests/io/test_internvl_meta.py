"""InternVL meta inputs: ids unique across annotation files (each numbers from 0) and the
same on every rerun; ``repeat_time``/``data_augment``/``max_dynamic_patch`` as InternVL uses
them (OpenGVLab/InternVL ``internvl_chat/internvl/train/internvl_chat_finetune.py``
``LazySupervisedDataset.__init__``: ``raw_data[:int(len(raw_data) * repeat_time)]`` below 1,
``raw_data * repeat_time`` above), carried into the meta the run writes; COCO keeps every
image (pycocotools)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from trainer_samples import make_image, write

from mmrecipe.io import open_reader
from mmrecipe.io.snippets import write_snippets


def internvl_raw_data(entry: dict) -> list[str]:
    """The lines InternVL trains on for one meta entry (LazySupervisedDataset.__init__)."""
    with open(entry["annotation"]) as f:
        raw_data = f.readlines()
    repeat_time = entry["repeat_time"]
    if repeat_time < 1:
        raw_data = raw_data[: int(len(raw_data) * repeat_time)]
    if repeat_time > 1:
        assert isinstance(repeat_time, int)
        raw_data = raw_data * repeat_time
    return raw_data


def _annotation(path: Path, n: int, image: str) -> None:
    rows = [
        {
            "id": i,
            "image": image,
            "conversations": [
                {"from": "human", "value": f"<image>\nQuestion {i} of {path.stem}?"},
                {"from": "gpt", "value": str(i)},
            ],
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_meta_ids_repeat_time_settings_and_coco(tmp_path: Path) -> None:
    coco_api = importlib.import_module("pycocotools.coco")
    src = tmp_path / "src"
    make_image(src / "a.png", 1)
    make_image(src / "b.png", 2)
    _annotation(src / "a.jsonl", 3, "a.png")
    _annotation(src / "b.jsonl", 2, "b.png")
    source_meta = {
        "a": {
            "root": str(src),
            "annotation": str(src / "a.jsonl"),
            "data_augment": True,
            "max_dynamic_patch": 6,
            "repeat_time": 2,
            "length": 3,
        },
        "b": {"root": str(src), "annotation": str(src / "b.jsonl"), "repeat_time": 0.5},
    }
    (src / "meta.json").write_text(json.dumps(source_meta))
    samples = list(open_reader("auto", src / "meta.json"))
    assert [s.id for s in samples] == ["a/0", "a/1", "a/2", "b/0"]
    assert [s.id for s in open_reader("auto", src / "meta.json")] == [s.id for s in samples]
    assert samples[0].fields["internvl_meta"] == {
        "data_augment": True,
        "max_dynamic_patch": 6,
        "repeat_time": 2,
    }

    run = tmp_path / "run"
    write("llava_onevision", samples, run / "data" / "shard-00000.jsonl", run)
    write_snippets(run, "mix", ["llava_onevision"])
    meta = json.loads((run / "trainers" / "internvl_meta.json").read_text())
    assert set(meta) == {"a", "b"}
    assert meta["a"]["data_augment"] is True and meta["a"]["max_dynamic_patch"] == 6
    assert meta["a"]["length"] == 3 and meta["b"]["length"] == 1
    # InternVL trains on as many samples from our meta as from the source's
    ours = sum(len(internvl_raw_data(e)) for e in meta.values())
    theirs = sum(len(internvl_raw_data({"repeat_time": 1, **e})) for e in source_meta.values())
    assert ours == theirs == 7
    for entry in meta.values():
        for line in internvl_raw_data(entry):
            assert (Path(entry["root"]) / json.loads(line)["image"][0]).is_file()

    # COCO: one image per sample, none lost to a shared id
    out = tmp_path / "coco.json"
    write("coco_captions", samples, out, run)
    coco = coco_api.COCO(str(out))
    assert len(coco.imgs) == len(samples) == 4


def test_coco_keeps_samples_that_share_an_id(tmp_path: Path) -> None:
    """A source that repeats ids still gives one COCO image (and annotation) per sample."""
    coco_api = importlib.import_module("pycocotools.coco")
    make_image(tmp_path / "a.png", 1)
    _annotation(tmp_path / "a.jsonl", 2, "a.png")
    first = list(open_reader("llava", tmp_path / "a.jsonl"))
    twice = first + [s.child("") for s in first]
    for s in twice[2:]:
        s.id = twice[0].id if s is twice[2] else twice[1].id
    for s in twice:
        s.fields["caption"] = "a photo"
    out = tmp_path / "coco.json"
    write("coco_captions", twice, out, tmp_path)
    coco = coco_api.COCO(str(out))
    assert len(coco.imgs) == 4 and len(coco.anns) == 4


def test_parquet_shards_whose_ids_restart_stay_unique(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "shards"
    folder.mkdir()
    for n in range(2):
        rows = [
            {"id": str(i), "conversations": [{"from": "human", "value": "hi"}]} for i in range(2)
        ]
        pq.write_table(pa.Table.from_pylist(rows), folder / f"part-{n}.parquet")
    ids = [s.id for s in open_reader("parquet", folder)]
    assert ids == ["0", "1", "part-1.parquet/0", "part-1.parquet/1"]
    assert ids == [s.id for s in open_reader("parquet", folder)]  # the same on a rerun
