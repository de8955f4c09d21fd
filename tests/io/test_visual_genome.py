"""The Visual Genome reader: regions, objects with attributes and relationships per image, in
the shapes annotation_context renders; one malformed entry is one reject; and recipes/svit.yaml
end to end against the scripted server."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from mmrecipe.io import open_reader
from mmrecipe.testing.openai_server import SCRIPTS, FakeOpenAIServer
from mmrecipe.testing.recipe_runs import check_llava_turns, records, run_recipe


def make_vg(root: Path) -> Path:
    (root / "VG_100K").mkdir(parents=True)
    for image_id in (1, 2):
        Image.new("RGB", (200, 100), (image_id * 90, 20, 20)).save(
            root / "VG_100K" / f"{image_id}.jpg"
        )
    images = [
        {"image_id": i, "url": f"https://cs.stanford.edu/people/rak248/VG_100K/{i}.jpg",
         "width": 200, "height": 100, "coco_id": 7 if i == 1 else None}
        for i in (1, 2)
    ]  # fmt: skip
    regions = [
        {"id": 1, "regions": [{"region_id": 1, "image_id": 1, "phrase": "a man wearing a  hat",
                               "x": 10, "y": 5, "width": 50, "height": 60}]},
        {"id": 9, "regions": []},  # an image VG does not list: one reject
    ]  # fmt: skip
    objects = [{"image_id": 1, "objects": [
        {"object_id": 11, "x": 10, "y": 5, "w": 50, "h": 90, "names": ["man"]},
        {"object_id": 12, "x": 20, "y": 0, "w": 20, "h": 15, "names": ["hat"]}]}]  # fmt: skip
    attributes = [{"image_id": 1, "attributes": [
        {"object_id": 12, "x": 20, "y": 0, "w": 20, "h": 15, "names": ["hat"],
         "attributes": ["red", "woolen"]}]}]  # fmt: skip
    relationships = [{"image_id": 1, "relationships": [
        {"predicate": "WEARING", "subject": {"object_id": 11, "name": "man"},
         "object": {"object_id": 12, "names": ["hat"]}},
        {"predicate": "on", "subject": {"object_id": 13}, "object": {"names": ["x"]}}]}]  # fmt: skip
    for name, data in (("image_data", images), ("region_descriptions", regions),
                       ("objects", objects), ("attributes", attributes),
                       ("relationships", relationships)):  # fmt: skip
        (root / f"{name}.json").write_text(json.dumps(data))
    return root


def test_reader_fields_and_rejects(tmp_path: Path) -> None:
    reader = open_reader("visual_genome", make_vg(tmp_path / "vg"))
    samples = list(reader)
    rejected = [s for s in samples if s.rejected]
    assert sorted(r.rejection.detail.split(":")[0] for r in rejected) == [
        "region_descriptions 1",
        "relationships 0",  # its second relationship's subject has no name
    ]
    one, two = [s for s in samples if not s.rejected]
    assert one.fields["relations"] == ["man | wearing | hat"]
    assert one.fields["vg_id"] == 1 and one.fields["coco_id"] == 7
    assert one.fields["regions"] == [
        {"bbox": [10.0, 5.0, 50.0, 60.0], "category": "a man wearing a hat"}
    ]
    hat = next(b for b in one.fields["boxes"] if b["name"] == "hat")
    assert hat["category"] == "red woolen hat" and hat["bbox"] == [20.0, 0.0, 20.0, 15.0]
    assert len(one.fields["boxes"]) == 2  # attributes.json's hat joined objects.json's
    assert one.images[0].path.endswith("VG_100K/1.jpg") and one.images[0].width == 200
    assert "regions" not in two.fields and "coco_id" not in two.fields


def test_svit_recipe_reads_visual_genome(tmp_path: Path) -> None:
    folder = make_vg(tmp_path / "vg")
    with FakeOpenAIServer(responder=SCRIPTS["annotations"]) as server:
        url = ["--set", f"backends.llm.base_url={server.base_url}"]
        stats = run_recipe("svit.yaml", tmp_path / "run", "--input", str(folder), *url)
        prompts = [json.dumps(b) for b in server.bodies]
    assert any("red woolen hat: [0.100, 0.000, 0.200, 0.150]" in p for p in prompts)
    assert any("man | wearing | hat" in p for p in prompts)  # the malformed one left out
    assert any("Region descriptions (same boxes):" in p for p in prompts)
    out = records(tmp_path / "run", "data")
    assert len(out) == 3 and {r["vg_id"] for r in out} == {1}  # 3 kinds of the image with regions
    for rec in out:
        check_llava_turns(rec)
    assert stats["reject_reasons"]["context:missing_annotation"] == 1  # image 2: no regions
