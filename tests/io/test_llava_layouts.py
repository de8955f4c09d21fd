"""``llava`` loads in LLaVA-1.5's loader, ``llava_onevision`` in LLaVA-NeXT's and InternVL's.

LLaVA does not install offline (it pins old torch and deepspeed), so its loading code is
re-implemented here line for line, from haotian-liu/LLaVA @ c121f04, ``llava/train/train.py``:
``LazySupervisedDataset.__init__`` (L665: ``json.load``), ``__getitem__`` (L692-701:
``os.path.join(image_folder, image_file)`` then ``Image.open``), ``preprocess_multimodal``
(L308-331: the ``<image>`` moved to the front of its turn) and ``preprocess_v1`` (L420-432:
``roles = {"human", "gpt"}``, the first turn skipped unless human, then
``assert role == conv.roles[j % 2]``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from PIL import Image
from trainer_samples import assert_one_type_per_field, jsonl, sha, write

from mmrecipe.cli import main
from mmrecipe.io import open_reader
from mmrecipe.sample import Sample

DEFAULT_IMAGE_TOKEN = "<image>"


def llava_getitem(data_path: Path, image_folder: Path, i: int) -> dict[str, Any]:
    """LazySupervisedDataset.__getitem__ up to tokenization (train.py L665, L692-L731)."""
    with open(data_path) as fh:
        list_data_dict = json.load(fh)  # L665: json.load(open(data_path, "r"))
    sources = [list_data_dict[i]]
    out: dict[str, Any] = {}
    if "image" in sources[0]:
        image_file = list_data_dict[i]["image"]
        out["image"] = Image.open(os.path.join(image_folder, image_file)).convert("RGB")  # L701
        conversations = preprocess_multimodal([dict(t) for t in sources[0]["conversations"]])
    else:
        conversations = [dict(t) for t in sources[0]["conversations"]]
    out["prompt"] = preprocess_v1_roles(conversations)
    return out


def preprocess_multimodal(source: list[dict[str, str]]) -> list[dict[str, str]]:
    """train.py L316-L327 (mm_use_im_start_end off, not mmtag)."""
    for sentence in source:
        if DEFAULT_IMAGE_TOKEN in sentence["value"]:
            sentence["value"] = sentence["value"].replace(DEFAULT_IMAGE_TOKEN, "").strip()
            sentence["value"] = DEFAULT_IMAGE_TOKEN + "\n" + sentence["value"]
            sentence["value"] = sentence["value"].strip()
    return source


def preprocess_v1_roles(source: list[dict[str, str]]) -> str:
    """train.py L420-L433: the role checks and the prompt of conversation template v1."""
    conv_roles = ("USER", "ASSISTANT")
    roles = {"human": conv_roles[0], "gpt": conv_roles[1]}
    if roles[source[0]["from"]] != conv_roles[0]:
        source = source[1:]
    parts = []
    for j, sentence in enumerate(source):
        role = roles[sentence["from"]]  # KeyError on "system"
        assert role == conv_roles[j % 2]
        parts.append(f"{role}: {sentence['value']}")
    return " ".join(parts)


def test_llava_loads_in_llava_loader(tmp_path: Path, samples: list[Sample]) -> None:
    out = tmp_path / "data" / "shard-00000.json"
    writer = write(
        "llava",
        samples,
        out,
        base_dir=tmp_path,
        keep_fields=["domain", "year"],
        fields_as_text=True,
    )
    records = json.loads(out.read_text())
    assert [r["id"] for r in records] == ["single", "text_only", "split_turn"]
    # left out, counted: what LLaVA-1.5 cannot hold
    assert dict(writer.left_out) == {"multi_image": 2, "empty_conversation": 1}
    for i, record in enumerate(records):
        item = llava_getitem(out, tmp_path, i)
        has_image = "image" in record
        assert isinstance(record.get("image", ""), str)
        assert item["prompt"].count(DEFAULT_IMAGE_TOKEN) == (1 if has_image else 0)
        if has_image:
            assert item["image"].size == (30, 24)
            values = [t["value"] for t in record["conversations"]]
            assert values[0].startswith(DEFAULT_IMAGE_TOKEN)
            assert not any(DEFAULT_IMAGE_TOKEN in v for v in values[1:])
    single = records[0]
    # the system turn is folded into the first human turn, after the image
    assert single["conversations"][0]["value"] == "<image>\nYou are terse.\n\nWhat is shown?"
    assert [t["from"] for t in single["conversations"]] == ["human", "gpt", "human", "gpt"]
    assert single["image"] == "images/i0.png"  # relative to --image_folder (the run dir)
    # the image-only user turn and its question are one turn
    assert records[2]["conversations"][0]["value"] == "<image>\nDescribe it."
    # kept fields as text (fields_as_text: one type across shards too); ground_truth not kept
    assert single["year"] == "2006" and "ground_truth" not in single
    assert_one_type_per_field(records)


def test_llava_system_drop_is_counted(tmp_path: Path, samples: list[Sample]) -> None:
    out = tmp_path / "o.json"
    writer = write("llava", samples[:1], out, base_dir=tmp_path, system="drop")
    record = json.loads(out.read_text())[0]
    assert record["conversations"][0]["value"] == "<image>\nWhat is shown?"
    assert writer.lost == {"system_turn": 1}
    folded = write("llava", samples[:1], out, base_dir=tmp_path)
    assert folded.lost == {"system_folded": 1}


def test_assistant_images_moved_to_user_when_asked(tmp_path: Path, samples: list[Sample]) -> None:
    interleaved = [s for s in samples if s.id == "interleaved"]
    out = tmp_path / "o.jsonl"
    writer = write("llava_onevision", interleaved, out, tmp_path, assistant_images="move_to_user")
    (record,) = jsonl(out)
    assert writer.left_out == {}
    assert record["conversations"][0]["value"] == "<image>\nSolve the maze.\n<image>"
    assert record["conversations"][1]["value"] == "Here is the path:\nGo right."
    assert [sha(tmp_path / p) for p in record["image"]] == [
        sha(i.path) for i in interleaved[0].images
    ]
    # the same from the command line
    src = tmp_path / "in.jsonl"
    write("samples", interleaved, src, tmp_path)
    for flag, n in (("skip", 0), ("move_to_user", 1)):
        out = tmp_path / f"cli-{flag}.jsonl"
        done = CliRunner().invoke(
            main, ["convert", str(src), str(out), "--to", "sharegpt", "--assistant-images", flag]
        )
        assert done.exit_code == (0 if n else 1), done.output  # 0 written: a failure
        assert len(jsonl(out)) == n
    assert (
        "1 assistant_image"
        in CliRunner()
        .invoke(main, ["convert", str(src), str(tmp_path / "x.jsonl"), "--to", "openai"])
        .output
    )


def test_onevision_lists_and_internvl_meta(tmp_path: Path, samples: list[Sample]) -> None:
    out = tmp_path / "data" / "llava_onevision" / "shard-00000.jsonl"
    writer = write("llava_onevision", samples, out, base_dir=tmp_path)
    records = jsonl(out)
    assert [r["id"] for r in records] == ["single", "multi", "text_only", "split_turn"]
    assert dict(writer.left_out) == {"assistant_image": 1, "empty_conversation": 1}
    for r in records:
        images = r.get("image", [])
        assert isinstance(images, list)  # LLaVA-NeXT: `if type(image_file) is list`
        n_tokens = sum(t["value"].count(DEFAULT_IMAGE_TOKEN) for t in r["conversations"])
        assert n_tokens == len(images)  # InternVL: one <image> per image
        assert all(t["from"] in ("human", "gpt") for t in r["conversations"])
        for p in images:
            Image.open(os.path.join(tmp_path, p)).verify()
    assert_one_type_per_field(records)

    # the InternVL meta JSON reads back through its own reader: root + annotation
    meta = tmp_path / "meta.json"
    meta.write_text(
        json.dumps(
            {
                "mine": {
                    "root": str(tmp_path),
                    "annotation": str(out),
                    "data_augment": False,
                    "repeat_time": 1,
                    "length": len(records),
                }
            }
        )
    )
    back = list(open_reader("auto", meta))
    assert [s.id for s in back] == ["single", "multi", "text_only", "split_turn"]
    assert [sha(i.path) for i in back[1].images] == [sha(i.path) for i in samples[1].images]
    assert back[0].fields["internvl_dataset"] == "mine"
