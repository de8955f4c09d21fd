"""``openai`` against OpenAI's vision fine-tuning rules; ``coco`` in pycocotools.

OpenAI's rules, from its fine-tuning guide ("Vision fine-tuning",
developers.openai.com/api/docs/guides/vision-fine-tuning, "Data format" and "Image data
requirements"): images are ``image_url`` parts with an https URL or a base64 data URL,
JPEG/PNG/WEBP in RGB or RGBA, at most 10 MB each and 10 per example, never in assistant
messages; each example ends in an assistant answer.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image
from trainer_samples import jsonl, make_image, sha, write

from mmrecipe.cli import main
from mmrecipe.errors import ConfigError
from mmrecipe.io import open_reader
from mmrecipe.sample import ImageRef, Sample


def openai_violations(example: dict[str, Any]) -> list[str]:
    problems = []
    messages = example["messages"]
    if not messages or messages[-1]["role"] != "assistant":
        problems.append("no final assistant message")
    n_images = 0
    for m in messages:
        if m["role"] not in ("system", "user", "assistant"):
            problems.append(f"role {m['role']}")
        if isinstance(m["content"], list):
            for part in m["content"]:
                if part["type"] == "image_url":
                    n_images += 1
                    url = part["image_url"]["url"]
                    if m["role"] != "user":
                        problems.append("image outside a user message")
                    if url.startswith("data:"):
                        mime = url[5:].split(";")[0]
                        if mime not in ("image/jpeg", "image/png", "image/webp"):
                            problems.append(mime)
                        data = base64.b64decode(url.split(",", 1)[1])
                        if len(data) > 10 * 1024 * 1024:
                            problems.append("image over 10 MB")
                        with Image.open(io.BytesIO(data)) as im:
                            if im.mode not in ("RGB", "RGBA"):
                                problems.append(im.mode)
                    elif not url.startswith("https://"):
                        problems.append(f"url {url[:40]}")
                elif part["type"] != "text":
                    problems.append(part["type"])
    if n_images > 10:
        problems.append("more than 10 images")
    return problems


def test_openai_rules_and_text_unchanged(tmp_path: Path, samples: list[Sample]) -> None:
    out = tmp_path / "o.jsonl"
    writer = write("openai", samples, out, tmp_path)
    assert dict(writer.left_out) == {"assistant_image": 1, "empty_conversation": 1}
    records = jsonl(out)
    for r in records:
        assert openai_violations(r) == [], r
    single = records[0]
    assert single["messages"][0] == {"role": "system", "content": "You are terse."}
    image, text = single["messages"][1]["content"]
    payload = base64.b64decode(image["image_url"]["url"].split(",", 1)[1])
    assert hashlib.sha256(payload).hexdigest() == sha(samples[0].images[0].path)
    assert text == {"type": "text", "text": "What is shown?"}  # no newline added
    # user content is always parts, assistant content always text: one type per role
    for r in records:
        for m in r["messages"]:
            assert isinstance(m["content"], list if m["role"] == "user" else str)
    # and it reads back to the same conversation
    back = list(open_reader("openai", out, materialize_dir=tmp_path / "m"))
    assert back[0].messages == samples[0].messages


def test_openai_https_urls_from_options_and_cli(tmp_path: Path, samples: list[Sample]) -> None:
    out = tmp_path / "o.jsonl"
    write(
        "openai",
        samples[:1],
        out,
        tmp_path,
        embed_images=False,
        image_url_base="https://cdn.example/run",
    )
    url = jsonl(out)[0]["messages"][1]["content"][0]["image_url"]["url"]
    assert url == "https://cdn.example/run/images/i0.png"
    with pytest.raises(ConfigError, match="image_url_base"):
        write("openai", samples[:1], out, tmp_path, embed_images=False)
    with pytest.raises(ConfigError, match="no option"):
        write("openai", samples[:1], out, tmp_path, embed=True)
    src = tmp_path / "in.jsonl"
    write("sharegpt", samples[:1], src, tmp_path)
    result = CliRunner().invoke(
        main,
        [
            "convert",
            str(src),
            str(tmp_path / "c.jsonl"),
            "--to",
            "openai",
            "--option",
            "embed_images=false",
            "--option",
            "image_url_base=https://h.example/",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "https://h.example/images/i0.png" in (tmp_path / "c.jsonl").read_text()


def _coco_source(tmp_path: Path) -> Path:
    make_image(tmp_path / "coco" / "000000397133.jpg", 1, (40, 30))
    make_image(tmp_path / "coco" / "000000000009.jpg", 2, (40, 30))
    data = {
        "images": [
            {
                "id": 397133,
                "file_name": "000000397133.jpg",
                "width": 40,
                "height": 30,
                "coco_url": "http://images.cocodataset.org/val2017/000000397133.jpg",
                "license": 4,
            },
            {"id": 9, "file_name": "000000000009.jpg", "width": 40, "height": 30, "license": 1},
        ],
        "annotations": [
            {
                "id": 1768,
                "image_id": 397133,
                "category_id": 18,
                "bbox": [1, 2, 10, 8],
                "area": 55.5,
                "iscrowd": 0,
                "segmentation": [[1, 2, 11, 2, 11, 10, 1, 10]],
            },
            {
                "id": 1769,
                "image_id": 9,
                "category_id": 1,
                "bbox": [0, 0, 5, 5],
                "area": 25,
                "iscrowd": 0,
                "segmentation": [[0, 0, 5, 0, 5, 5]],
            },
        ],
        "categories": [
            {"id": 18, "name": "dog", "supercategory": "animal"},
            {"id": 1, "name": "person", "supercategory": "person"},
        ],
    }
    path = tmp_path / "coco" / "instances.json"
    path.write_text(json.dumps(data))
    return path


def test_coco_round_trip_keeps_ids_and_loads_in_pycocotools(tmp_path: Path) -> None:
    coco_api = importlib.import_module("pycocotools.coco")
    src = _coco_source(tmp_path)
    samples = list(open_reader("coco", src))
    # two shards: ids stay the source's, so they are unique across shards
    write("coco", samples[:1], tmp_path / "run" / "shard-00000.json", tmp_path / "run")
    write("coco", samples[1:], tmp_path / "run" / "shard-00001.json", tmp_path / "run")
    apis = [coco_api.COCO(str(tmp_path / "run" / f"shard-0000{i}.json")) for i in range(2)]
    assert sorted(apis[0].getImgIds() + apis[1].getImgIds()) == [9, 397133]
    api = next(a for a in apis if 397133 in a.imgs)
    (ann,) = api.loadAnns(api.getAnnIds(imgIds=[397133]))
    assert ann["id"] == 1768 and ann["category_id"] == 18
    assert ann["segmentation"] == [[1, 2, 11, 2, 11, 10, 1, 10]] and ann["area"] == 55.5
    assert api.loadCats([18]) == [{"id": 18, "name": "dog", "supercategory": "animal"}]
    assert api.annToMask(ann).sum() > 0
    img = api.imgs[397133]
    assert img["coco_url"].endswith("000000397133.jpg") and img["license"] == 4
    # the images stay where they were (coco/), so the dataset root is their common folder
    back = list(open_reader("coco", tmp_path / "run" / "shard-00000.json", image_root=tmp_path))
    assert back[0].fields["boxes"] == samples[0].fields["boxes"]
    assert sha(back[0].images[0].path) == sha(samples[0].images[0].path)


def test_coco_captions_never_break_pycocotools(tmp_path: Path) -> None:
    coco_api = importlib.import_module("pycocotools.coco")
    image = make_image(tmp_path / "a.png", 3)
    made = [
        Sample(id=f"s{i}", images=[ImageRef(path=str(image))], fields={"caption": f"A {i}."})
        for i in range(3)
    ]
    caps = write("coco_captions", made, tmp_path / "c0.json", tmp_path)
    inst = write("coco", made, tmp_path / "i0.json", tmp_path)
    assert inst.lost == {"captions": 3} and caps.lost == {}
    api = coco_api.COCO(str(tmp_path / "c0.json"))
    assert len(api.getAnnIds()) == 3 and len(set(api.getImgIds())) == 3
    instances = json.loads((tmp_path / "i0.json").read_text())
    assert "categories" in instances and instances["images"][0]["width"] == 30
    coco_api.COCO(str(tmp_path / "i0.json"))


def test_openai_leaves_out_what_it_cannot_take(tmp_path: Path) -> None:
    gray = tmp_path / "gray.png"
    Image.new("I;16", (8, 8)).save(gray)
    gif = tmp_path / "a.gif"
    Image.new("RGB", (8, 8)).save(gif)
    ok = make_image(tmp_path / "ok.png", 9)
    turns = [{"role": "user", "content": "What?"}, {"role": "assistant", "content": "That."}]
    made = [
        Sample(id="gray", images=[ImageRef(path=str(gray))], messages=turns),
        Sample(id="gif", images=[ImageRef(path=str(gif))], messages=turns),
        Sample(id="many", images=[ImageRef(path=str(ok))] * 11, messages=turns),
        Sample(id="ok", images=[ImageRef(path=str(ok))], messages=turns),
    ]
    writer = write("openai", made, tmp_path / "o.jsonl", tmp_path)
    assert dict(writer.left_out) == {"image_mode": 1, "image_format": 1, "too_many_images": 1}
    assert [r["id"] for r in jsonl(tmp_path / "o.jsonl")] == ["ok"]


def test_coco_keeps_unused_categories_info_and_licenses(tmp_path: Path) -> None:
    """A category no annotation uses, and the top-level info and licenses, come back in every
    shard file (pycocotools: getCatIds, dataset["info"], dataset["licenses"])."""
    coco_api = importlib.import_module("pycocotools.coco")
    src = _coco_source(tmp_path)
    data = json.loads(src.read_text())
    data["categories"].append({"id": 90, "name": "toothbrush", "supercategory": "indoor"})
    data["info"] = {"description": "COCO 2017 Dataset", "year": 2017}
    data["licenses"] = [{"id": 4, "name": "Attribution License", "url": "http://x/4"}]
    src.write_text(json.dumps(data))
    run = tmp_path / "run"
    samples = list(open_reader("coco", src, materialize_dir=run / "images" / "input"))
    write("coco", samples[:1], run / "shard-00000.json", run)
    write("coco_captions", samples[1:], run / "captions-00001.json", run)
    api = coco_api.COCO(str(run / "shard-00000.json"))
    assert sorted(api.getCatIds()) == [1, 18, 90]
    assert api.loadCats([90]) == [{"id": 90, "name": "toothbrush", "supercategory": "indoor"}]
    assert api.dataset["info"] == data["info"] and api.dataset["licenses"] == data["licenses"]
    captions = coco_api.COCO(str(run / "captions-00001.json"))
    assert captions.dataset["info"] == data["info"]
    assert "categories" not in captions.dataset
    # a samples file naming a meta file outside the run is not read
    samples[0].fields["coco_meta"] = str(tmp_path / "coco-0123456789abcdef.json")
    (tmp_path / "coco-0123456789abcdef.json").write_text(json.dumps({"info": {"x": 1}}))
    write("coco", samples[:1], run / "shard-00002.json", run)
    assert "info" not in json.loads((run / "shard-00002.json").read_text())
