"""Every vision-expert recipe end to end through the CLI with tiny random stand-ins for all of
its backends: outputs are random, so the test checks that every sample is accounted for
(kept + rejected = input), that outputs and rejects are written, and what each step stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from mmrecipe.backends.experts.tagger import open_vocabulary
from mmrecipe.cli import main

RECIPES = Path(__file__).resolve().parents[2] / "recipes"

#: recipe -> extra overrides keeping the tiny chat model's answers short
SHORT = {
    "image-textualization": [
        "ops.reference.max_tokens=12",
        "ops.entities.max_tokens=8",
        "ops.recaption.max_tokens=12",
    ],
    "all-seeing": [],
    # random detectors never agree: one vote is enough here, so COCO output gets boxes
    "consensus-labels": [
        "ops.boxes.min_agree=1",
        "ops.caption.max_tokens=12",
        "ops.phrases.max_tokens=8",
    ],
    "clip-filter": ["ops.score.min_score=-1"],  # random CLIP: keep pairs so dedup sees them
    # random CLIP: keep documents so every filter sees them; the tiny LLM judges last
    "comm-interleaved": [
        "ops.consistency.min_score=-1",
        "ops.alignment.min_score=-1",
        "ops.coherence.max_tokens=8",
        "ops.coherence.min_score=0",
        # flat test images: keep them past the quality gate and the random detector's entities
        "ops.quality.minimums.blur_laplacian_var=0",
        "ops.quality.minimums.info_entropy=0",
        "ops.entities.min_score=0",
        "ops.entities.min_recurrence=0",
    ],
}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("expert-images")
    for i in range(5):
        im = Image.new("RGB", (64 + 16 * i, 48 + 8 * i), (40 * i, 120, 200 - 30 * i))
        ImageDraw.Draw(im).rectangle([4, 4, 30 + 4 * i, 28], fill=(250, 10, 10))
        im.save(folder / f"img{i}.png")
    (folder / "broken.png").write_bytes(b"not an image")
    return folder


@pytest.fixture(scope="module")
def pairs(images: Path) -> Path:
    path = images / "pairs.jsonl"
    lines = []
    for i, name in enumerate(["img0.png", "img1.png", "img2.png", "img0.png", "broken.png"]):
        conv = [
            {"from": "human", "value": "<image>\nDescribe the image."},
            {"from": "gpt", "value": "a red square on a blue background" if i % 2 else "a photo"},
        ]
        lines.append(json.dumps({"id": f"pair{i}", "image": name, "conversations": conv}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(recipe: str, source: Path, out: Path, stand_ins: Path) -> dict:
    from mmrecipe.testing.standins import standin_overrides

    path = RECIPES / f"{recipe}.yaml"
    sets = standin_overrides(path, stand_ins) + SHORT[recipe]
    args = ["run", str(path), "--input", str(source), "-o", str(out), "--quiet"]
    for s in sets:
        args += ["--set", s]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads((out / "stats.json").read_text())


def _records(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for f in sorted(folder.glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]


def _accounted(stats: dict, out: Path, n_input: int) -> tuple[list[dict], list[dict]]:
    kept, rejected = _records(out / "samples"), _records(out / "rejects")
    assert stats["totals"]["input"] == n_input
    assert stats["totals"]["kept"] == len(kept)
    assert stats["totals"]["rejected"] == len(rejected)
    assert len(kept) + len(rejected) == n_input
    assert len({r["id"] for r in kept + rejected}) == n_input
    return kept, rejected


def test_image_textualization(images: Path, tmp_path: Path, tiny_stand_ins: Path) -> None:
    stats = _run("image-textualization", images, tmp_path / "run", tiny_stand_ins)
    kept, rejected = _accounted(stats, tmp_path / "run", 6)
    assert [(r["op"], r["reason"]) for r in rejected] == [("intake", "not_an_image")]
    for sample in kept:
        fields = sample["fields"]
        assert {"caption", "tags", "objects", "ocr_text", "facts", "textualization"} <= set(fields)
        assert set(fields["textualization"]) == {
            "confirmed",
            "unconfirmed",
            "added",
            "objects",
            "text",
            "regions",
        }
        # the tagger's default vocabulary is the open one; Tesseract read the whole image
        vocabulary = set(open_vocabulary())
        assert fields["tags"] and all(t["tag"] in vocabulary for t in fields["tags"])
        assert {"text", "words"} <= set(fields["ocr_text"])
        # dense captioning: every detected region has a caption, and the facts carry them
        assert all(isinstance(o.get("caption"), str) for o in fields["objects"])
        captioned = [o for o in fields["objects"] if o["caption"].strip()]
        assert len(fields["textualization"]["regions"]) == len(captioned)
        if captioned:
            assert "Region descriptions: " in fields["facts"]
        # Grounding DINO was prompted with the tags and the LLM's objects, in parts that fit
        named = {w.strip() for w in fields["caption_objects"].split(",") if w.strip()}
        prompted = {t["tag"] for t in fields["tags"]} | named
        # (the tiny stand-in's tokenizer knows few of the open vocabulary's words: few boxes)
        assert all(o["label"] in prompted for o in fields["objects"])
        assert sample["messages"][-1]["role"] == "assistant"
    assert (tmp_path / "run" / "data" / "shard-00000.json").is_file()  # llava: a JSON array


def test_all_seeing(images: Path, tmp_path: Path, tiny_stand_ins: Path) -> None:
    stats = _run("all-seeing", images, tmp_path / "run", tiny_stand_ins)
    kept, _ = _accounted(stats, tmp_path / "run", 6)
    for sample in kept:
        regions = sample["fields"]["regions"]
        assert regions and all({"box", "mask", "tags", "caption"} <= set(r) for r in regions)
        assert sample["messages"][0]["content"].startswith("<image>\n")
        assert any("region [" in m["content"] for m in sample["messages"] if m["role"] == "user")
        lines = sample["fields"]["regions_text"].splitlines()
        assert len(lines) == min(len(regions), 8) and all(line.startswith("[") for line in lines)


def test_all_seeing_llm_qa_becomes_conversation_turns(
    images: Path, tmp_path: Path, tiny_stand_ins: Path
) -> None:
    """The LLM's region QA (a scripted server) is parsed like qa_generate's and appended to the
    rule-made region turns: it reaches the LLaVA training file."""
    from mmrecipe.testing.openai_server import FakeOpenAIServer
    from mmrecipe.testing.standins import standin_overrides

    def reply(body: dict) -> str:
        text = body["messages"][-1]["content"]
        text = text if isinstance(text, str) else " ".join(p.get("text", "") for p in text)
        assert "Regions of an image" in text
        first_box = text.split("\n")[1].split("]")[0] + "]"
        return json.dumps(
            [{"question": f"What is in region {first_box}?", "answer": "A scripted answer."}]
        )

    path = RECIPES / "all-seeing.yaml"
    with FakeOpenAIServer("plain", model="fake-llm", responder=reply) as server:
        sets = [
            s for s in standin_overrides(path, tiny_stand_ins) if not s.startswith("backends.llm=")
        ]
        sets += [f"backends.llm.base_url={server.base_url}", "ops.qa_llm.enabled=true"]
        args = ["run", str(path), "--input", str(images), "-o", str(tmp_path / "run"), "--quiet"]
        for s in sets:
            args += ["--set", s]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    kept = _records(tmp_path / "run" / "samples")
    assert kept
    for sample in kept:
        pairs = sample["fields"]["region_qa_llm"]
        assert pairs == [{"question": pairs[0]["question"], "answer": "A scripted answer."}]
        assert sample["messages"][-2:] == [
            {"role": "user", "content": pairs[0]["question"]},
            {"role": "assistant", "content": "A scripted answer."},
        ]
        assert sample["messages"][0]["content"].startswith("<image>\n")  # the region turns first
    data = json.loads((tmp_path / "run" / "data" / "shard-00000.json").read_text())
    assert all(rec["conversations"][-1]["value"] == "A scripted answer." for rec in data)


def test_consensus_labels(images: Path, tmp_path: Path, tiny_stand_ins: Path) -> None:
    stats = _run("consensus-labels", images, tmp_path / "run", tiny_stand_ins)
    kept, rejected = _accounted(stats, tmp_path / "run", 6)
    for sample in kept + [r for r in rejected if r["op"] == "boxes"]:
        assert "labels_r1" in sample["fields"] and "labels_refined" in sample["fields"]
        assert 1 <= sample["scores"]["labels_refined_rounds"] <= 3  # the cap
    for sample in kept:  # captions and grounding ran after the boxes
        assert sample["fields"]["caption_candidates"].startswith("1. ")
        assert isinstance(sample["fields"]["consensus_caption"], str)
        assert isinstance(sample["fields"]["grounded_phrases"], list)
    assert kept, "with min_agree=1 every image with a box is kept"
    n_boxes = 0
    for sample in kept:
        agreed = sample["fields"]["agreed_boxes"]
        assert agreed and all(b["votes"] >= 1 for b in agreed)
        n_boxes += len(agreed)
    coco = [json.loads(p.read_text()) for p in sorted((tmp_path / "run" / "data").glob("*.json"))]
    annotations = [a for c in coco for a in c["annotations"]]
    assert len(annotations) == n_boxes
    assert all(len(a["bbox"]) == 4 and a["bbox"][2] >= 0 for a in annotations)


def test_clip_filter_scores_and_dedups(pairs: Path, tmp_path: Path, tiny_stand_ins: Path) -> None:
    out = tmp_path / "run"
    stats = _run("clip-filter", pairs, out, tiny_stand_ins)
    kept, rejected = _accounted(stats, out, 5)
    reasons = {r["reason"] for r in rejected}
    # pair3 repeats pair0's image: identical embeddings, one of them is a near duplicate
    assert "near_duplicate" in reasons
    for sample in kept:
        assert -1.0 <= sample["scores"]["clip_score"] <= 1.0
        ref = sample["fields"]["image_embedding"]
        assert (out / ref["file"]).is_file() and ref["file"].endswith(".npy")
    # rerun: nothing left to do, same result
    again = _run("clip-filter", pairs, out, tiny_stand_ins)
    assert again["totals"] == stats["totals"]


def test_stand_in_cli_prints_set_lines_and_refuses_unknown_types(
    tmp_path: Path, tiny_stand_ins: Path
) -> None:
    cmd = [
        sys.executable,
        "-m",
        "mmrecipe.testing",
        "tiny",
        "--recipe",
        str(RECIPES / "clip-filter.yaml"),
        str(tiny_stand_ins),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("--set backends.clip={")
    spec = json.loads(lines[0].split("=", 1)[1])
    assert spec["type"] == "embedder" and Path(spec["model"]).is_dir()
    odd = tmp_path / "odd.yaml"
    odd.write_text("name: odd\nbackends: {x: {type: teleporter}}\nops: [{op: image_intake}]\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmrecipe.testing",
            "tiny",
            "--recipe",
            str(odd),
            str(tmp_path / "t"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # the recipe is checked first: an unknown type is named there, in one line
    assert done.returncode == 2 and "unknown backend type 'teleporter'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def documents(images: Path) -> Path:
    path = images / "docs.jsonl"
    docs = [
        {
            "id": "obelics",
            "texts": ["How to paint a box.", None, "Then paint it red.", None],
            "images": [None, "img0.png", None, "img1.png"],
            "url": "https://example.com/a",
        },
        {
            "id": "mmc4",
            "text_list": ["A blue sky.", "A red square."],
            "image_info": [
                {"image_name": "img2.png", "matched_text_index": 1},
                {"image_name": "img3.png", "matched_text_index": 0},
            ],
        },
        {"id": "text-only", "texts": ["Just words here."], "images": [None]},
        {"id": "remote", "texts": [None], "images": ["https://example.com/x.jpg"]},
        {"id": "broken-image", "texts": ["x", None], "images": [None, "broken.png"]},
    ]
    lines = [json.dumps(d) for d in docs] + ["{not json"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_comm_interleaved(documents: Path, tmp_path: Path, tiny_stand_ins: Path) -> None:
    out = tmp_path / "run"
    stats = _run("comm-interleaved", documents, out, tiny_stand_ins)
    kept, rejected = _accounted(stats, out, 6)
    why = {r["id"]: (r["op"], r["reason"]) for r in rejected}
    assert why["remote"] == ("read", "remote_image")
    assert why["broken-image"] == ("intake", "not_an_image")
    assert why["text-only"] == ("intake", "no_image")
    assert stats["steps"]["consistency"]["in"] == 2  # obelics, mmc4
    judged = kept + [r for r in rejected if r["op"] == "coherence"]
    assert {r["id"] for r in judged} == {"obelics", "mmc4"}
    for record in judged:
        scores = set(record["scores"])
        assert {"image_consistency", "image_text_alignment", "entity_recurrence"} <= scores
        assert {"blur_laplacian_var", "info_entropy", "entity_jaccard"} <= scores
        assert len(record["fields"]["entities"]) == 2  # one entity list per image
        assert "[image]" in record["fields"]["document_text"]
    written = _records(out / "data")
    assert len(written) == len(kept)
    for doc in written:
        assert len(doc["texts"]) == len(doc["images"])
        assert all(
            (t is None) != (i is None) for t, i in zip(doc["texts"], doc["images"], strict=True)
        )


@pytest.mark.parametrize("recipe", sorted(p.name for p in RECIPES.glob("*.yaml")))
def test_every_recipe_gets_stand_ins(recipe: str, tiny_stand_ins: Path) -> None:
    """Every shipped recipe can be pointed at tiny offline models (and stays valid)."""
    from mmrecipe.backends import BACKEND_TYPES
    from mmrecipe.recipe import load_recipe
    from mmrecipe.testing.standins import STANDINS, standin_overrides

    path = RECIPES / recipe
    sets = standin_overrides(path, tiny_stand_ins)
    resolved = load_recipe(path, sets)
    replaced = {line.split("=", 1)[0].removeprefix("backends.") for line in sets}
    for name, spec in load_recipe(path).backends.items():
        if "same_as" in spec:  # an alias of another backend: it follows its target
            assert spec["same_as"] in replaced, name
            continue
        if name not in replaced:  # a backend that runs offline as declared (e.g. tesseract)
            assert STANDINS[spec["type"]](name, dict(spec), tiny_stand_ins) is None
            continue
        new = resolved.backends[name]
        assert new["type"] in BACKEND_TYPES
        assert Path(new["model"]).is_dir() and new["device"] == "cpu", name
