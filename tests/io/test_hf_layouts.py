"""``hf_messages``, ``sharegpt``, ``parquet`` and ``webdataset`` through their consumers' code.

Real code where it installs offline: HF ``datasets`` (JSON and Parquet loaders), TRL's
``DataCollatorForVisionLanguageModeling`` with the tiny LLaVA's processor and a forward pass,
``webdataset``. LLaMA-Factory pulls a training stack, so its ShareGPT path is re-implemented
from hiyouga/LLaMA-Factory @ ff6d4d12e: ``src/llamafactory/data/converter.py``
``SharegptDatasetConverter.__call__`` (L135-L227: the system tag or column, roles alternating
by turn index, an even count, else "Skipping this abnormal example") and
``src/llamafactory/data/mm_plugin.py`` ``_validate_messages`` (L189-L215: as many images as
``<image>`` placeholders).
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from trainer_samples import assert_one_type_per_field, jsonl, sha, write

from mmrecipe.sample import Sample

IMAGE_PLACEHOLDER = "<image>"


def llamafactory_sharegpt(example: dict[str, Any], media_dir: Path) -> dict[str, Any] | None:
    """SharegptDatasetConverter.__call__ with the dataset_info.json our runs write."""
    tags = {"user": "user", "assistant": "assistant", "system": "system"}
    odd_tags, even_tags = ("user", "observation"), ("assistant", "function_call")
    accept_tags = (odd_tags, even_tags)
    messages = example["messages"]
    if len(messages) != 0 and messages[0]["role"] == tags["system"]:  # L148-L154
        system = messages[0]["content"]
        messages = messages[1:]
    else:
        system = example["system"]  # L156: the "system" column
    aligned = []
    for turn_idx, message in enumerate(messages):  # L160-L171
        if message["role"] not in accept_tags[turn_idx % 2]:
            return None
        aligned.append({"role": message["role"], "content": message["content"]})
    if len(aligned) % 2 != 0:  # L173-L177
        return None
    images = [os.path.join(media_dir, p) for p in example["images"]]  # _find_medias L54-L58
    n_tokens = sum(m["content"].count(IMAGE_PLACEHOLDER) for m in aligned)  # mm_plugin L199
    if n_tokens != len(images):  # mm_plugin L203-L206
        raise ValueError("The number of images does not match the number of <image> tokens")
    return {
        "_prompt": aligned[:-1],
        "_response": aligned[-1:],
        "_system": system,
        "_images": images,
    }


def test_sharegpt_in_llamafactory_and_datasets(tmp_path: Path, samples: list[Sample]) -> None:
    datasets = importlib.import_module("datasets")
    out = tmp_path / "data" / "sharegpt" / "shard-00000.jsonl"
    writer = write("sharegpt", samples, out, tmp_path, keep_fields=["domain", "year"])
    assert dict(writer.left_out) == {"assistant_image": 1, "empty_conversation": 1}
    records = jsonl(out)
    assert_one_type_per_field(records)
    for r in records:
        converted = llamafactory_sharegpt(r, tmp_path)
        assert converted is not None, r
        for p in converted["_images"]:
            assert os.path.isfile(p)
    single = records[0]
    assert single["system"] == "You are terse." and single["messages"][0]["role"] == "user"
    assert records[1]["system"] == ""  # the column is always a string
    ds = datasets.load_dataset(
        "json", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf")
    )
    assert ds["year"][:2] == ["2006", "2006"] and "ground_truth" not in ds.column_names
    assert ds[0]["messages"][1]["content"] == "Noise, «unicode» 你好."


def test_hf_messages_through_trl_collator_and_model(
    tmp_path: Path, samples: list[Sample], tiny_llava_dir: Path
) -> None:
    datasets = importlib.import_module("datasets")
    trl_sft = importlib.import_module("trl.trainer.sft_trainer")
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    out = tmp_path / "data" / "hf_messages" / "shard-00000.jsonl"
    writer = write("hf_messages", samples, out, tmp_path)
    assert dict(writer.left_out) == {"assistant_image": 1, "empty_conversation": 1}
    records = jsonl(out)
    assert_one_type_per_field(records)
    for r in records:
        for m in r["messages"]:
            assert isinstance(m["content"], list)
            assert not any(IMAGE_PLACEHOLDER in (p.get("text") or "") for p in m["content"])
    # the loading line the run writes (trainers/hf_datasets.py), then TRL's collator
    ds = datasets.load_dataset(
        "json", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf")
    )
    ds = ds.map(lambda r: {"images": [os.path.join(tmp_path, p) for p in r["images"]]})
    ds = ds.cast_column("images", datasets.Sequence(datasets.Image()))
    processor = AutoProcessor.from_pretrained(tiny_llava_dir)
    collator = trl_sft.DataCollatorForVisionLanguageModeling(processor)
    with_images = [ds[i] for i in range(len(ds)) if ds[i]["images"]]
    assert [r["id"] for r in with_images] == ["single", "multi", "split_turn"]
    batch = collator([{"messages": r["messages"], "images": r["images"]} for r in with_images])
    image_id = processor.tokenizer.convert_tokens_to_ids("<image>")
    per_row = (batch["input_ids"] == image_id).sum(dim=1).tolist()
    tokens_per_image = per_row[0]  # one image in the first row
    assert per_row == [tokens_per_image, 2 * tokens_per_image, tokens_per_image]
    model = AutoModelForImageTextToText.from_pretrained(tiny_llava_dir)
    with torch.no_grad():
        loss = model(**batch).loss
    assert torch.isfinite(loss)


def test_parquet_keep_fields_and_datasets(tmp_path: Path, samples: list[Sample]) -> None:
    datasets = importlib.import_module("datasets")
    out = tmp_path / "p.parquet"
    writer = write("parquet", samples, out, tmp_path, keep_fields=["domain"])
    assert writer.written == len(samples) and not writer.left_out
    ds = datasets.load_dataset(
        "parquet", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf")
    )
    assert isinstance(ds.features["images"].feature, datasets.Image)
    fields = [json.loads(f) for f in ds["fields"]]
    assert fields[0] == {"domain": "chart"}  # ground_truth and year are not kept
    assert ds[1]["images"][1].size == (30, 24)


def test_webdataset_shards_read_by_webdataset(tmp_path: Path, samples: list[Sample]) -> None:
    wds = importlib.import_module("webdataset")
    out = tmp_path / "shard-00000.tar"
    write("webdataset", samples, out, tmp_path, keep_fields=["domain"])
    rows = list(wds.WebDataset(str(out), shardshuffle=False))
    assert [r["__key__"] for r in rows] == [s.id for s in samples]
    multi = rows[1]
    body = json.loads(multi["json"])
    assert body["images"] == ["png", "1.png"]
    assert [sha_bytes(multi[e]) for e in body["images"]] == [sha(i.path) for i in samples[1].images]
    assert json.loads(body["fields"]) == {"domain": "photo"}  # one JSON text: one schema


def sha_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_webdataset_tars_load_in_hf_datasets(
    tmp_path: Path, samples: list[Sample], monkeypatch: Any
) -> None:
    """HF's webdataset builder: the run's loading line (features of every member any tar
    holds) loads samples whose members differ; plain, a run of one member set loads."""
    import runpy

    datasets = importlib.import_module("datasets")
    from mmrecipe.io.snippets import write_snippets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf"))
    run = tmp_path / "run"
    samples[0].fields["caption"] = "noise"
    write("webdataset", samples[:3], run / "data" / "shard-00000.tar", run, keep_fields=["year"])
    write("webdataset", samples[3:], run / "data" / "shard-00001.tar", run, keep_fields=["year"])
    write_snippets(run, "wds", ["webdataset"])
    ds = runpy.run_path(str(run / "trainers" / "hf_datasets.py"))["webdataset"]
    assert ds["__key__"] == [s.id for s in samples]
    bodies = ds["json"]
    assert [json.loads(b["fields"]) for b in bodies[:2]] == [{"year": 2006}, {"year": "2006"}]
    assert ds[1]["1.png"].size == (30, 24) and ds[0]["1.png"] is None
    assert ds[0]["txt"] == "noise" and ds[1]["txt"] is None
    assert ds[3]["png"] is None and ds[4]["png"].size == (30, 24)

    # one member set (one png each, all captioned): the plain call, no features, loads too
    plain = [s for s in samples if len(s.images) == 1]
    for s in plain:
        s.fields["caption"] = f"a {s.id}"
    write("webdataset", plain, tmp_path / "plain" / "shard-00000.tar", tmp_path)
    loaded = datasets.load_dataset(
        "webdataset", data_files=str(tmp_path / "plain" / "*.tar"), split="train"
    )
    assert loaded["txt"] == [f"a {s.id}" for s in plain]
    assert all(im.size == (30, 24) for im in loaded["png"])
