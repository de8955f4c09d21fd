"""A run writes every trainer format plus the registrations trainers need, with image paths
relative to the run dir: the report, ``convert`` and the snippets find the images from any
working directory, also for a run made with a relative ``-o``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from PIL import Image

from mmrecipe.testing.records import data_records

RECIPE = """
name: trainer-ready
ops:
  - op: synth_mix
    name: mix
    num_samples: 6
    seed: 1
    generators: {table: 1, jigsaw: 1}
  - op: synth_verify
    name: verify
output:
  formats: [sharegpt, llava, llava_onevision, hf_messages, parquet, webdataset]
  keep_fields: [domain]
executor: {shard_size: 3}
"""


def _mmrecipe(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmrecipe", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env},
    )


def test_relative_run_dir_outputs_snippets_report_convert(tmp_path: Path) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    (work / "r.yaml").write_text(RECIPE)
    done = _mmrecipe("run", "r.yaml", "-o", "run", "--quiet", cwd=work)
    assert done.returncode == 0, done.stderr
    run = work / "run"

    # stored paths are relative to the run dir, never to the cwd of the run
    samples = data_records(run / "samples")
    paths = [i["path"] for s in samples for i in s["images"]]
    assert paths and all(p.startswith("images/") for p in paths), paths

    # samples no trainer format here can hold are left out, counted
    stats = json.loads((run / "stats.json").read_text())
    share = stats["outputs"]["sharegpt"]
    n_jigsaw = sum(1 for s in samples if s["fields"]["domain"].endswith("jigsaw"))
    assert n_jigsaw and share["left_out"] == {"assistant_image": n_jigsaw}
    assert share["written"] == len(samples) - n_jigsaw
    assert stats["outputs"]["parquet"]["written"] == len(samples)

    trainers = run / "trainers"
    # LLaMA-Factory: dataset_info.json relative to dataset_dir, media_dir = the run dir
    info = json.loads((trainers / "dataset_info.json").read_text())
    # data/ also holds the other formats' folders: one entry per shard file
    assert len(info) == 2
    args = yaml.safe_load((trainers / "llamafactory.yaml").read_text())
    assert args["dataset"] == ",".join(info) and Path(args["media_dir"]) == run.resolve()
    for entry in info.values():
        assert entry["formatting"] == "sharegpt" and entry["columns"]["system"] == "system"
        shard = Path(args["dataset_dir"]) / entry["file_name"]
        for line in shard.read_text().splitlines():
            for image in json.loads(line)["images"]:
                assert (Path(args["media_dir"]) / image).is_file()
    # LLaVA-1.5: one array; LLaVA-NeXT: the data YAML; InternVL: the meta JSON
    llava = json.loads((trainers / "llava.json").read_text())
    assert len(llava) == share["written"]
    for record in llava:
        Image.open(run / record["image"]).verify()
    onevision = yaml.safe_load((trainers / "llava_onevision.yaml").read_text())
    assert [Path(d["json_path"]).name for d in onevision["datasets"]] == [
        "shard-00000.jsonl",
        "shard-00001.jsonl",
    ]
    meta = json.loads((trainers / "internvl_meta.json").read_text())
    # OpenGVLab/InternVL internvl_chat/internvl/train/internvl_chat_finetune.py build_datasets:
    # ds_collections[name]["repeat_time"], ["data_augment"], and the dataset's ["root"],
    # ["annotation"] (read line by line: json.loads(self.raw_data[i])), ["length"] in newer ones
    for entry in meta.values():
        assert {"root", "annotation", "data_augment", "repeat_time", "length"} <= set(entry)
        for line in Path(entry["annotation"]).read_text().splitlines():
            for image in json.loads(line).get("image", []):
                assert (Path(entry["root"]) / image).is_file()
    assert sum(m["length"] for m in meta.values()) == share["written"]
    assert all(Path(m["root"]) == run.resolve() for m in meta.values())

    # the HF datasets lines run as written, from anywhere
    hf = _mmrecipe_python(
        f"g = runpy.run_path({str(trainers / 'hf_datasets.py')!r}); "
        "print(len(g['parquet']), len(g['hf_messages']), g['hf_messages'][0]['images'][0].size)",
        cwd=elsewhere,
        HF_DATASETS_CACHE=str(tmp_path / "hf"),
    )
    n_parquet, n_hf, _size = hf.split(" ", 2)
    assert (int(n_parquet), int(n_hf)) == (len(samples), share["written"])

    # the report finds every image from another cwd
    report = _mmrecipe("report", str(run), cwd=elsewhere)
    assert report.returncode == 0, report.stderr
    page = (run / "report.html").read_text()
    payload = json.loads(
        re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)[1]
    )
    images = [im for card in payload["cards"] for im in card["images"]]
    assert images and all(im[0] is not None for im in images), images[:3]

    # convert of a shard resolves against the run dir, whatever the cwd
    shard = run / "data" / "shard-00000.jsonl"
    out = elsewhere / "conv" / "out.json"
    conv = _mmrecipe("convert", str(shard), str(out), "--to", "llava", cwd=elsewhere)
    assert conv.returncode == 0, conv.stderr
    for record in json.loads(out.read_text()):
        Image.open(out.parent / record["image"]).verify()
    # the target's suffix says the layout: a .jsonl target gets lines (LLaVA-NeXT reads both)
    lines = _mmrecipe("convert", str(shard), str(out) + "l", "--to", "llava", cwd=elsewhere)
    assert lines.returncode == 0, lines.stderr
    as_lines = [json.loads(x) for x in Path(str(out) + "l").read_text().splitlines()]
    assert as_lines == json.loads(out.read_text())


def _mmrecipe_python(code: str, cwd: Path, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import runpy; " + code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
