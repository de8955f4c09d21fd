"""Ready-to-train registrations, written next to a run's data (``RUN/trainers/``).

A user copies one file, not a guess: for each output format the run writes what its trainer
needs to find the data and the images (paths absolute, since trainers resolve them against
their own working directory):

* ``sharegpt`` -> ``dataset_info.json`` (LLaMA-Factory: ``formatting``, ``columns``, ``tags``)
  and ``llamafactory.yaml`` (``dataset_dir``, ``dataset``, ``media_dir`` = the run dir);
* ``llava`` -> ``llava.json`` (all shards in one JSON array: LLaVA-1.5's ``--data_path`` takes
  one file) and ``llava_args.txt`` (``--data_path``, ``--image_folder``);
* ``llava_onevision`` -> ``llava_onevision.yaml`` (LLaVA-NeXT's ``--data_path`` YAML:
  ``datasets: [{json_path, sampling_strategy}]``) and ``internvl_meta.json`` (InternVL's
  ``--meta_path``: ``root``, ``annotation``, ``data_augment``, ``repeat_time``, ``length``;
  per source dataset with its own settings when the input was an InternVL meta);
* ``parquet``, ``hf_messages``, ``sharegpt`` -> ``hf_datasets.py`` (the ``datasets`` loading
  lines, images cast to the Image feature); ``webdataset`` -> the same file, with the features
  of the run's tars (HF's builder infers them from the first five samples and refuses samples
  whose members differ: image count, image type, a caption or not).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

TRAINERS_DIR = "trainers"


def format_files(run_dir: Path, formats: list[str], fmt: str, suffix: str) -> list[Path]:
    """A format's shard files in shard order (the first format lives in ``data/``)."""
    folder = run_dir / "data" if formats and formats[0] == fmt else run_dir / "data" / fmt
    return sorted(folder.glob(f"shard-*{suffix}"))


def write_snippets(run_dir: Path, name: str, formats: list[str]) -> list[Path]:
    """Write the registrations for ``formats`` into ``run_dir/trainers``; returns the files."""
    from mmrecipe.io import WRITE_SUFFIX

    run_dir = run_dir.absolute()
    out = run_dir / TRAINERS_DIR
    out.mkdir(parents=True, exist_ok=True)
    files = {
        f: format_files(run_dir, formats, f, WRITE_SUFFIX[f]) for f in formats if f in WRITE_SUFFIX
    }
    key = _dataset_key(name)
    written: list[Path] = []
    if files.get("sharegpt"):
        written += _llamafactory(run_dir, out, key, files["sharegpt"])
    if files.get("llava"):
        written += _llava(run_dir, out, files["llava"])
    if files.get("llava_onevision"):
        written += _onevision(run_dir, out, key, files["llava_onevision"])
    hf = _hf_lines(run_dir, files)
    if hf:
        written.append(_write(out / "hf_datasets.py", hf))
    return written


def _dataset_key(name: str) -> str:
    return "mmrecipe_" + "".join(c if c.isalnum() else "_" for c in name).strip("_")


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _llamafactory(run_dir: Path, out: Path, key: str, shards: list[Path]) -> list[Path]:
    attrs: dict[str, Any] = {
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images", "system": "system"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        },
    }
    if _has_videos(shards):  # rows without videos read as null: _find_medias gives None
        attrs["columns"]["videos"] = "videos"
    # one entry per shard file: LLaMA-Factory loads each entry as its own table and aligns it
    # to its standard columns before merging (``merge_dataset``), so shards never have to
    # share one schema (a folder entry is one table: a source key that changes type between
    # shards would stop it, see README "formats")
    entries = {
        f"{key}_{p.stem.removeprefix('shard-')}": {"file_name": os.path.relpath(p, out), **attrs}
        for p in shards
    }
    info = _write(out / "dataset_info.json", json.dumps(entries, indent=2) + "\n")
    args = (
        "# LLaMA-Factory: merge into your training YAML (llamafactory-cli train ...)\n"
        f"dataset_dir: {out}\n"
        f"dataset: {','.join(entries)}\n"
        f"media_dir: {run_dir}  # image paths in the data are relative to the run dir\n"
    )
    return [info, _write(out / "llamafactory.yaml", args)]


def _has_videos(shards: list[Path]) -> bool:
    """Whether any record of the (JSONL or Parquet) shards has a ``videos`` column."""
    for shard in shards:
        if shard.suffix != ".jsonl":
            continue
        with open(shard, encoding="utf-8") as fh:
            for line in fh:
                if '"videos"' in line and "videos" in json.loads(line):
                    return True
    return False


def _llava(run_dir: Path, out: Path, shards: list[Path]) -> list[Path]:
    target = out / "llava.json"
    tmp = target.with_name(target.name + ".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("[")
        for shard in shards:
            for record in json.loads(shard.read_text(encoding="utf-8")):
                fh.write(("\n" if not n else ",\n") + json.dumps(record, ensure_ascii=False))
                n += 1
        fh.write("\n]\n")
    os.replace(tmp, target)
    args = (
        "# LLaVA-1.5 (llava/train/train.py): all shards in one JSON array\n"
        f"--data_path {target} --image_folder {run_dir}\n"
    )
    return [target, _write(out / "llava_args.txt", args)]


def _onevision(run_dir: Path, out: Path, key: str, shards: list[Path]) -> list[Path]:
    lines = [
        "# LLaVA-NeXT / OneVision: --data_path this file --image_folder " + str(run_dir),
        "datasets:",
    ]
    for p in shards:
        lines += [f"  - json_path: {p}", "    sampling_strategy: all"]
    yaml_file = _write(out / "llava_onevision.yaml", "\n".join(lines) + "\n")
    meta = _internvl_meta(run_dir, out, key, shards)
    meta_file = _write(out / "internvl_meta.json", json.dumps(meta, indent=2) + "\n")
    return [yaml_file, meta_file]


_INTERNVL_DEFAULTS = {"data_augment": False, "repeat_time": 1}


def _internvl_meta(run_dir: Path, out: Path, key: str, shards: list[Path]) -> dict[str, Any]:
    """InternVL's meta: one entry per shard; when records came from an InternVL meta
    (``internvl_dataset``), one entry per source dataset instead, its annotation the records
    of that dataset (``trainers/internvl/NAME.jsonl``) and its training settings
    (``repeat_time``, ``data_augment``, ``max_dynamic_patch``, ...) as the source gave them."""
    groups: dict[str, list[bytes]] = {}
    settings: dict[str, dict[str, Any]] = {}
    per_shard: dict[str, tuple[Path, int]] = {}
    for p in shards:
        name = f"{key}_{p.stem.removeprefix('shard-')}"
        with open(p, "rb") as fh:
            rows = [line for line in fh if line.strip()]
        per_shard[name] = (p, len(rows))
        for line in rows:
            source, entry = name, {}
            if b'"internvl_dataset"' in line:
                record = json.loads(line)
                if isinstance(record.get("internvl_dataset"), str):
                    source = record["internvl_dataset"]
                    entry = record.get("internvl_meta") or {}
            groups.setdefault(source, []).append(line if line.endswith(b"\n") else line + b"\n")
            settings.setdefault(source, entry if isinstance(entry, dict) else {})
    root = str(run_dir) + "/"
    if set(groups) <= set(per_shard):  # nothing from an InternVL meta: the shards themselves
        return {
            name: {"root": root, "annotation": str(p), **_INTERNVL_DEFAULTS, "length": n}
            for name, (p, n) in per_shard.items()
        }
    folder = out / "internvl"
    folder.mkdir(exist_ok=True)
    meta: dict[str, Any] = {}
    for source, rows in groups.items():
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source).strip(".")
        path = folder / f"{safe or 'dataset'}.jsonl"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(b"".join(rows))
        os.replace(tmp, path)
        meta[source] = {
            "root": root,
            "annotation": str(path),
            **_INTERNVL_DEFAULTS,
            **settings[source],
            "length": len(rows),
        }
    return meta


def _hf_lines(run_dir: Path, files: dict[str, list[Path]]) -> str:
    blocks = []
    if files.get("parquet"):
        blocks.append(
            "# Parquet: images embedded, an Image feature already\n"
            f'parquet = load_dataset("parquet", data_files={_globs(files["parquet"])}, '
            'split="train")'
        )
    if files.get("webdataset"):
        from mmrecipe.io.webdataset import hf_features

        blocks.append(
            "# WebDataset: every member name the tars hold (absent ones None), images decoded\n"
            f'webdataset = load_dataset("webdataset", data_files={_globs(files["webdataset"])}, '
            f'split="train", features={hf_features(files["webdataset"])})'
        )
    for fmt in ("hf_messages", "sharegpt"):
        if files.get(fmt):
            blocks.append(
                f"# {fmt}: image paths are relative to the run dir; cast them to images\n"
                f'{fmt} = load_dataset("json", data_files={_globs(files[fmt])}, split="train")\n'
                f'{fmt} = {fmt}.map(lambda r: {{"images": [os.path.join(RUN, p) for p in '
                f'r["images"]]}}).cast_column("images", Sequence(Image()))'
            )
    if not blocks:
        return ""
    head = (
        "# Hugging Face datasets: the loading lines for this run's outputs\n"
        "import os\n\nfrom datasets import Features, Image, Sequence, Value, load_dataset\n\n"
        f"RUN = {str(run_dir)!r}\n\n"
    )
    return head + "\n\n".join(blocks) + "\n"


def _globs(paths: list[Path]) -> str:
    return repr(str(paths[0].parent / f"shard-*{paths[0].suffix}"))
