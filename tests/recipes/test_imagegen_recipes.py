"""The image-generation recipes end to end through the CLI: tiny random diffusers pipelines and
experts from the test kit, the text steps answered by the fake server's ``imagegen`` script
(or the kit's tiny LLaVA). Every input sample is accounted for (kept, expanded into kept, or
rejected with a reason), outputs are readable, and the same seed gives the same images."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from mmrecipe.cli import main

pytest.importorskip("diffusers", reason="the image-generation recipes need the 'imagegen' extra")

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("imagegen-images")
    for i in range(3):
        im = Image.new("RGB", (64 + 16 * i, 48), (40 * i, 120, 200 - 30 * i))
        ImageDraw.Draw(im).rectangle([8, 8, 30 + 4 * i, 30], fill=(250, 10, 10))
        im.save(folder / f"img{i}.png")
    (folder / "broken.png").write_bytes(b"not an image")
    return folder


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from mmrecipe.testing.imagegen_script import imagegen_script
    from mmrecipe.testing.openai_server import FakeOpenAIServer

    fake = FakeOpenAIServer(responder=imagegen_script, keep_bodies=False)
    yield fake.start()
    fake.stop()


def _llm(server: str) -> str:
    spec = {"type": "openai", "base_url": server, "model": "fake", "concurrency": 8}
    return json.dumps(spec, separators=(",", ":"))


def _run(recipe: str, source: Path, out: Path, stand_ins: Path, sets: list[str]) -> dict:
    from mmrecipe.testing.standins import standin_overrides

    path = RECIPES / f"{recipe}.yaml"
    args = ["run", str(path), "--input", str(source), "-o", str(out), "--quiet"]
    for s in standin_overrides(path, stand_ins) + sets:
        args += ["--set", s]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads((out / "stats.json").read_text())


def _records(folder: Path) -> list[dict]:
    records = [
        json.loads(line)
        for f in sorted(folder.glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    for record in records:  # image paths in a run dir are relative to it
        for image in record.get("images") or []:
            if isinstance(image, dict) and not Path(image["path"]).is_absolute():
                image["path"] = str(folder.parent / image["path"])
    return records


def _accounted(stats: dict, out: Path, n_input: int) -> tuple[list[dict], list[dict]]:
    """Every input is kept, or kept through its children (``parent_id``), or rejected."""
    kept, rejected = _records(out / "samples"), _records(out / "rejects")
    assert stats["totals"]["input"] == n_input
    assert stats["totals"]["kept"] == len(kept)
    assert stats["totals"]["rejected"] == len(rejected)
    roots = {r["fields"].get("parent_id", r["id"]) for r in kept + rejected}
    assert len(roots) == n_input
    assert len({r["id"] for r in kept + rejected}) == len(kept) + len(rejected)
    return kept, rejected


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_edit_triplets(images: Path, tmp_path: Path, tiny_stand_ins: Path, server: str) -> None:
    datasets = pytest.importorskip("datasets")
    sets = [
        f"backends.mllm={_llm(server)}",
        "ops.intake.min_side=16",
        "ops.verify.min_clip_direction=-1",  # random CLIP: keep triplets to check the output
        "ops.verify.max_outside_changed=1",  # the tiny random editor repaints everything
    ]
    stats = _run("edit-triplets", images, tmp_path / "a", tiny_stand_ins, sets)
    kept, rejected = _accounted(stats, tmp_path / "a", 4)
    assert [(r["op"], r["reason"]) for r in rejected] == [("intake", "not_an_image")]
    assert len(kept) == 9  # 3 images x 3 scripted instructions (the chatter line skipped)
    for sample in kept:
        f = sample["fields"]
        assert f["edit_type"] in {"replace", "attribute", "style"}
        # the VLM named the target; the detector grounded that name, SAM masked it, and the
        # outside-the-mask check ran for local edits only
        if f["edit_type"] == "style":
            assert f["edit_target"] == "" and "edit_outside_changed" not in sample["scores"]
        else:
            assert f["edit_target"] and "edit_outside_changed" in sample["scores"]
            assert all(b["label"] == f["edit_target"] for b in f["target_boxes"])
        assert f["source_image"] == 0 and f["edited_image"] == 1
        src, edited = sample["images"]
        assert (edited["width"], edited["height"]) == (src["width"], src["height"])
        assert Path(edited["path"]).is_file()
        assert {"edit_changed", "edit_image_similarity", "edit_clip_direction"} <= set(
            sample["scores"]
        )
    ds = datasets.load_dataset(
        "parquet", data_files=str(tmp_path / "a" / "data" / "shard-00000.parquet"), split="train"
    )
    assert len(ds) == 9 and ds[0]["edited_image"].size == ds[0]["source_image"].size
    assert ds[0]["instruction"] == kept[0]["fields"]["instruction"]
    report = CliRunner().invoke(main, ["report", str(tmp_path / "a")], catch_exceptions=False)
    assert report.exit_code == 0, report.output
    html = (tmp_path / "a" / "report.html").read_text()
    assert '"edit":{"source"' in html and "edit_clip_direction" in html

    # same seed, same images; another seed, other images
    _run("edit-triplets", images, tmp_path / "b", tiny_stand_ins, sets)
    again = {s["id"]: _sha(s["images"][1]["path"]) for s in _records(tmp_path / "b" / "samples")}
    assert again == {s["id"]: _sha(s["images"][1]["path"]) for s in kept}
    _run("edit-triplets", images, tmp_path / "c", tiny_stand_ins, [*sets, "ops.edit.seed=1"])
    other = {s["id"]: _sha(s["images"][1]["path"]) for s in _records(tmp_path / "c" / "samples")}
    assert set(other.values()).isdisjoint(again.values())


@pytest.fixture(scope="module")
def coco(images: Path) -> Path:
    imgs, anns = [], []
    for i in range(3):
        imgs.append({"id": i, "file_name": f"img{i}.png", "width": 64 + 16 * i, "height": 48})
        anns.append({"id": 10 + i, "image_id": i, "caption": "a red dog on the grass"})
        anns.append({"id": 20 + i, "image_id": i, "bbox": [8, 8, 23 + 4 * i, 23], "category_id": 1})
    imgs.append({"id": 3, "file_name": "img0.png", "width": 64, "height": 48})  # no object
    path = images / "instances.json"
    cats = [{"id": 1, "name": "dog"}]
    path.write_text(json.dumps({"images": imgs, "annotations": anns, "categories": cats}))
    return path


def test_refedit_from_coco_boxes(
    coco: Path, tmp_path: Path, tiny_stand_ins: Path, server: str
) -> None:
    datasets = pytest.importorskip("datasets")
    sets = [
        f"backends.mllm={_llm(server)}",
        "input.format=coco",
        "ops.intake.min_side=16",
        "ops.caption.enabled=false",  # COCO has captions, boxes: no caption, detector, SAM
        "ops.objects.enabled=false",
        "ops.masks.enabled=false",
        "ops.refer.regions_field=boxes",
        "ops.instruction.caption_field=captions",
        "ops.edit.mask_dilate=0",
        "ops.verify.min_clip_direction=-1",
    ]
    stats = _run("refedit", coco, tmp_path / "run", tiny_stand_ins, sets)
    kept, rejected = _accounted(stats, tmp_path / "run", 4)
    assert [(r["op"], r["reason"]) for r in rejected] == [("refer", "no_referable_object")]
    assert len(kept) == 3
    for sample in kept:
        assert sample["fields"]["expression"] == "the dog"
        assert sample["fields"]["instruction"] == "replace the dog with a cat"
        assert sample["scores"]["edit_outside_changed"] == 0.0  # source kept outside the mask
        assert sample["scores"]["edit_changed"] > 0.5
    ds = datasets.load_dataset(
        "parquet", data_files=str(tmp_path / "run" / "data" / "shard-00000.parquet"), split="train"
    )
    mask = ds[0]["mask_image"]
    assert mask is not None and mask.size == ds[0]["source_image"].size
    assert mask.getbbox() == (8, 8, 31, 31)


def test_refedit_with_detector_and_sam(
    images: Path, tmp_path: Path, tiny_stand_ins: Path, server: str
) -> None:
    sets = [
        f"backends.mllm={_llm(server)}",
        "ops.intake.min_side=16",
        "ops.refer.min_area_fraction=0",
        "ops.refer.max_area_fraction=1",
    ]
    stats = _run("refedit", images, tmp_path / "run", tiny_stand_ins, sets)
    kept, rejected = _accounted(stats, tmp_path / "run", 4)
    for sample in kept:
        assert "mask" in sample["fields"]["target"]  # a SAM mask chose the region
    assert all(r["reason"] for r in rejected)


def test_sparcl(images: Path, tmp_path: Path, tiny_stand_ins: Path, server: str) -> None:
    pairs = tmp_path / "pairs.jsonl"
    lines = []
    for i, (name, caption) in enumerate(
        [
            ("img0.png", "a red dog on the grass"),
            ("img1.png", "a cat on a chair"),
            ("broken.png", "a dog"),
            ("img2.png", "a red car on the road"),
        ]
    ):
        conv = [{"from": "human", "value": "<image>\nDescribe."}, {"from": "gpt", "value": caption}]
        lines.append(
            json.dumps({"id": f"p{i}", "image": str(images / name), "conversations": conv})
        )
    pairs.write_text("\n".join(lines) + "\n")
    sets = [
        f"input.image_root={images}",  # the captions file names images in another folder
        f"backends.llm={_llm(server)}",
        "ops.intake.min_side=16",
        "ops.rank.min_margin=-2",
    ]
    stats = _run("sparcl", pairs, tmp_path / "run", tiny_stand_ins, sets)
    kept, rejected = _accounted(stats, tmp_path / "run", 4)
    assert [(r["op"], r["reason"]) for r in rejected] == [("intake", "not_an_image")]
    for sample in kept:
        f = sample["fields"]
        assert f["negative_caption"] != f["positive_caption"] and f["negative_type"] == "object"
        pos, neg = sample["images"][f["positive_image"]], sample["images"][f["negative_image"]]
        assert _sha(pos["path"]) != _sha(neg["path"])
        assert {"pair_rank_margin", "pair_own_similarity"} <= set(sample["scores"])
    # the paper's rule (each image closest to its own caption) on the same scores
    stats = _run("sparcl", pairs, tmp_path / "strict", tiny_stand_ins, sets[:3])
    strict, _ = _accounted(stats, tmp_path / "strict", 4)
    assert all(s["scores"]["pair_rank_margin"] > 0 for s in strict)


def test_sharegpt4o_image_with_the_test_kit_only(
    images: Path, tmp_path: Path, tiny_stand_ins: Path
) -> None:
    """No fake server: the kit's tiny LLaVA writes the prompts (random text)."""
    stats = _run(
        "sharegpt4o-image", images, tmp_path / "run", tiny_stand_ins, ["ops.describe.max_tokens=8"]
    )
    kept, _ = _accounted(stats, tmp_path / "run", 4)
    assert len(kept) == 3
    records = _records(tmp_path / "run" / "data")
    for record in records:
        assert [m["role"] for m in record["messages"]] == ["user", "assistant"]
        assert record["messages"][1]["content"] == "<image>"
        assert len(record["images"]) == 1
        assert (tmp_path / "run" / record["images"][0]).is_file()
    assert (tmp_path / "run" / "data" / "parquet").is_dir()


def test_sharegpt4o_image_over_http(images: Path, tmp_path: Path, server: str) -> None:
    """The generator is an OpenAI-compatible images server (the fake one): no local model."""
    generator = {"type": "openai_images", "model": "fake", "base_url": server, "size": "40x24"}
    sets = [f"backends.mllm={_llm(server)}", f"backends.generator={json.dumps(generator)}"]
    path = RECIPES / "sharegpt4o-image.yaml"
    args = ["run", str(path), "--input", str(images), "-o", str(tmp_path / "run"), "--quiet"]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    kept, _ = _accounted(stats, tmp_path / "run", 4)
    assert len(kept) == 3
    for sample in kept:
        assert sample["fields"]["prompt"] in sample["messages"][0]["content"]
        with Image.open(sample["images"][0]["path"]) as im:
            assert im.size == (40, 24)


def test_sharegpt4o_prompt_first_samples_attributes_by_ratio(tmp_path: Path, server: str) -> None:
    """Attribute points drawn by the configured ratios, composed into prompts by an LLM (the
    fake server), rendered by an images server, written as conversations."""
    from mmrecipe.registry import build_op

    generator = {"type": "openai_images", "model": "fake", "base_url": server, "size": "40x24"}
    sets = [f"backends.llm={_llm(server)}", f"backends.generator={json.dumps(generator)}"]
    sets += ["ops.attributes.num_samples=6"]
    path = RECIPES / "sharegpt4o-image-prompts.yaml"
    args = ["run", str(path), "-o", str(tmp_path / "run"), "--quiet"]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    kept = _records(tmp_path / "run" / "samples")
    assert len(kept) == 6
    for sample in kept:
        assert {"objects", "background", "style", "camera_angle"} <= set(
            sample["fields"]["attributes"]
        )
        assert sample["messages"][1]["content"] == "<image>"
        assert sample["fields"]["prompt"] in sample["messages"][0]["content"]

    # the ratios: value weights and include probabilities hold over many draws
    op = build_op(
        "attribute_prompts",
        "a",
        {"num_samples": 4000, "dimensions": {"style": {"sketch": 3, "photo": 1}, "angle": ["low"]},
         "include": {"angle": 0.25}},
    )  # fmt: skip
    points = [s.fields["attributes"] for s in op.generate(0, 4000)]
    sketch = sum(p["style"] == "sketch" for p in points) / len(points)
    angle = sum("angle" in p for p in points) / len(points)
    assert abs(sketch - 0.75) < 0.03 and abs(angle - 0.25) < 0.03
    assert op.generate(10, 11)[0].fields == op.generate(0, 20)[10].fields  # index-determined


def test_refedit_geometric_checks_each_edit_with_the_detector(
    images: Path, tmp_path: Path, tiny_stand_ins: Path, server: str
) -> None:
    sets = [
        f"backends.mllm={_llm(server)}",
        "ops.intake.min_side=16",
        "ops.refer.min_area_fraction=0",
        "ops.refer.max_area_fraction=1",
        "ops.instruction.n=3",
    ]
    stats = _run("refedit-geometric", images, tmp_path / "run", tiny_stand_ins, sets)
    kept, rejected = _accounted(stats, tmp_path / "run", 4)
    edits = kept + [r for r in rejected if r["op"] in {"geometry", "verify"}]
    assert edits  # the scripted VLM's add / resize / relocate edits reached the checks
    for r in edits:  # each was measured by the detector before and after
        assert {"edit_target_before", "edit_target_after"} <= set(r["scores"])
    for r in rejected:
        if r["op"] == "geometry":
            assert r["reason"] in {"not_added", "not_resized", "not_moved", "target_not_found"}
