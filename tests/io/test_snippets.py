"""The LLaMA-Factory registration resolves to data files exactly as its loader resolves them:
hiyouga/LLaMA-Factory @ ff6d4d12e ``src/llamafactory/data/loader.py`` L75-L89 (a folder is
listed whole and every file in it must be of one type; else the file itself)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from mmrecipe.io.snippets import write_snippets

FILEEXT2TYPE = {
    "arrow": "arrow",
    "csv": "csv",
    "json": "json",
    "jsonl": "json",
    "parquet": "parquet",
    "txt": "text",
}


def llamafactory_data_files(dataset_dir: str, file_name: str) -> list[str]:
    """loader.py L75-L89."""
    data_files = []
    local_path = os.path.join(dataset_dir, file_name)
    if os.path.isdir(local_path):
        for name in os.listdir(local_path):
            data_files.append(os.path.join(local_path, name))
    elif os.path.isfile(local_path):
        data_files.append(local_path)
    else:
        raise ValueError(f"File {local_path} not found.")
    data_path = FILEEXT2TYPE.get(os.path.splitext(data_files[0])[-1][1:])
    if data_path is None:
        raise ValueError("Allowed file types")
    if any(data_path != FILEEXT2TYPE.get(os.path.splitext(f)[-1][1:]) for f in data_files):
        raise ValueError("File types should be identical.")
    return sorted(data_files)


@pytest.mark.parametrize("formats", [["llava", "sharegpt"], ["sharegpt", "llava"]])
def test_dataset_info_resolves_in_llamafactory_loader(tmp_path: Path, formats: list[str]) -> None:
    run = tmp_path / "run"
    for fmt, suffix in (("llava", ".json"), ("sharegpt", ".jsonl")):
        folder = run / "data" if formats[0] == fmt else run / "data" / fmt
        folder.mkdir(parents=True, exist_ok=True)
        for shard in range(2):
            body = (
                [{"id": str(shard), "conversations": []}]
                if suffix == ".json"
                else {"id": str(shard)}
            )
            (folder / f"shard-0000{shard}{suffix}").write_text(json.dumps(body) + "\n")
    write_snippets(run, "my recipe", formats)
    args = yaml.safe_load((run / "trainers" / "llamafactory.yaml").read_text())
    info = json.loads((Path(args["dataset_dir"]) / "dataset_info.json").read_text())
    assert args["dataset"].split(",") == list(info)
    files = [
        f
        for entry in info.values()
        for f in llamafactory_data_files(args["dataset_dir"], entry["file_name"])
    ]
    assert [Path(f).name for f in files] == ["shard-00000.jsonl", "shard-00001.jsonl"]
    assert len(json.loads((run / "trainers" / "llava.json").read_text())) == 2
