"""``recipes/llava-instruct.yaml`` end to end through the CLI against a scripted text-only LLM
server: the LLM never gets an image, its prompts carry captions and boxes as readable text in
LLaVA's convention, JSON / fenced / Question-Answer / garbage answers are parsed or rejected
with the raw text kept, and every image yields the three kinds as LLaVA conversations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mmrecipe.testing.openai_server import FakeOpenAIServer, by_marker
from mmrecipe.testing.recipe_runs import (
    all_text,
    check_llava_turns,
    n_images,
    records,
    run_recipe,
    user_text,
)

#: image -> (captions, boxes [x, y, w, h] with category, size)
IMAGES: dict[str, dict[str, Any]] = {
    "bus": {
        "size": (640, 480),
        "captions": ["A red bus waits at a stop.", "A double-decker bus on a city street."],
        "boxes": [([64, 96, 256, 240], "bus"), ([400.5, 200.25, 30, 90], "person")],
    },
    "kite": {
        "size": (500, 375),
        "captions": ["A kite flies over a beach."],
        "boxes": [([10, 20, 50, 40], "kite")],
    },
    "junk": {"size": (320, 240), "captions": ["A plate of junk food."], "boxes": []},
    "nocap": {"size": (300, 200), "captions": [], "boxes": [([1, 1, 10, 10], "cat")]},
}

CONVERSATION = {
    # plain JSON
    "red bus": json.dumps(
        [
            {"question": "What colour is the bus?", "answer": "It is red."},
            {"question": "Where is it?", "answer": "At a stop on a city street."},
        ]
    ),
    # LLaVA's own Question/Answer layout: not JSON, still parsed
    "kite flies": "Question:\nWhat flies in the sky?\n===\nAnswer:\nA kite.\n===\n"
    "Question:\nWhere?\n===\nAnswer:\nOver a beach.",
    # garbage
    "junk food": "I'm sorry, I cannot help with that {{{",
}
REASONING = {
    # a fence with stray text around it
    "red bus": 'Here you go:\n```json\n[{"question": "Why stop?", "answer": "To let people '
    'board."}]\n```\nHope this helps!',
    # an object wrapping the list, with an <image> token the model must not smuggle in
    "kite flies": '{"qa": [{"question": "<image> Is it windy?", "answer": "Yes, a kite needs '
    'wind."}]}',
    "junk food": '[{"question": "Is it healthy?", "answer": "Probably not."}]',
}


def reply(table: dict[str, str]) -> Any:
    def respond(body: dict[str, Any]) -> str:
        text = user_text(body)
        return next(answer for marker, answer in table.items() if marker in text)

    return respond


@pytest.fixture
def llm() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(
        "plain",
        model="fake-llm",
        responder=by_marker(
            {
                "Write a conversation": reply(CONVERSATION),
                "needs reasoning": reply(REASONING),
                "Describe the image in detail": "A detailed description of the scene.",
            }
        ),
    )
    server.start()
    yield server
    server.stop()


def make_coco(root: Path) -> tuple[Path, Path]:
    (root / "img").mkdir(parents=True)
    images, captions, instances = [], [], []
    for i, (name, spec) in enumerate(IMAGES.items(), start=1):
        w, h = spec["size"]
        Image.new("RGB", (w, h), (i * 50, 90, 160)).save(root / "img" / f"{name}.jpg")
        images.append({"id": i, "file_name": f"{name}.jpg", "width": w, "height": h})
        for c in spec["captions"]:
            captions.append({"id": len(captions) + 1, "image_id": i, "caption": c})
        for bbox, cat in spec["boxes"]:
            cat_id = {"bus": 6, "person": 1, "kite": 38, "cat": 17}[cat]
            instances.append(
                {"id": len(instances) + 1, "image_id": i, "bbox": bbox, "category_id": cat_id}
            )
    cats = [{"id": 6, "name": "bus"}, {"id": 1, "name": "person"}]
    cats += [{"id": 38, "name": "kite"}, {"id": 17, "name": "cat"}]
    cap_file, inst_file = root / "captions.json", root / "instances.json"
    cap_file.write_text(json.dumps({"images": images, "annotations": captions}))
    inst_file.write_text(
        json.dumps({"images": images, "annotations": instances, "categories": cats})
    )
    return cap_file, inst_file


def test_llava_instruct_end_to_end(tmp_path: Path, llm: FakeOpenAIServer) -> None:
    cap_file, inst_file = make_coco(tmp_path / "coco")
    args = [
        *("--input", str(cap_file), "--set", f"input.options.instances={inst_file}"),
        *("--set", f"input.image_root={tmp_path / 'coco' / 'img'}"),
        *("--set", f"backends.llm.base_url={llm.base_url}", "--set", "backends.llm.model=m"),
    ]
    stats = run_recipe("llava-instruct.yaml", tmp_path / "run", *args)

    # the text-only LLM never saw an image; its prompts carry the annotations as text
    assert llm.bodies and all(n_images(b) == 0 for b in llm.bodies)
    bus_prompts = [user_text(b) for b in llm.bodies if "red bus" in user_text(b)]
    assert len(bus_prompts) == 3  # one per kind
    for text in bus_prompts:
        assert (
            "Captions:\nA red bus waits at a stop.\nA double-decker bus on a city street." in text
        )
        assert "image of 640x480 pixels" in text
        # [64, 96, 256, 240] -> x1/640, y1/480, (64+256)/640, (96+240)/480
        assert "bus: [0.100, 0.200, 0.500, 0.700]" in text
        # [400.5, 200.25, 30, 90] -> 0.62578 -> 0.626, 0.4171875 -> 0.417, 0.673, 0.605
        assert "person: [0.626, 0.417, 0.673, 0.605]" in text
        assert "'bbox'" not in text and "{'" not in text and "[[" not in text
    # guided decoding asked for where the backend declares json_schema (QA steps only)
    qa_bodies = [b for b in llm.bodies if "Reply with JSON" in all_text(b)]
    assert qa_bodies and all(
        b["response_format"]["json_schema"]["schema"]["type"] == "array" for b in qa_bodies
    )

    out = {r["id"]: r for r in records(tmp_path / "run", "data")}
    kinds = {}
    for rec in out.values():
        check_llava_turns(rec)
        kinds.setdefault(rec["kind"], []).append(rec)
    assert sorted(len(v) for v in kinds.values()) == [2, 3, 3]  # junk conversation rejected

    bus = {r["kind"]: r for r in out.values() if r["coco_id"] == 1}
    assert [c["value"] for c in bus["conversation"]["conversations"]] == [
        "<image>\nWhat colour is the bus?",
        "It is red.",
        "Where is it?",
        "At a stop on a city street.",
    ]
    assert bus["reasoning"]["qa"] == [{"question": "Why stop?", "answer": "To let people board."}]
    assert bus["detail"]["conversations"][1]["value"] == "A detailed description of the scene."
    kite = {r["kind"]: r for r in out.values() if r["coco_id"] == 2}
    assert kite["conversation"]["qa"] == [
        {"question": "What flies in the sky?", "answer": "A kite."},
        {"question": "Where?", "answer": "Over a beach."},
    ]
    assert kite["reasoning"]["conversations"][0]["value"] == "<image>\nIs it windy?"

    rejects = {(r["fields"]["coco_id"], r["op"]): r for r in records(tmp_path / "run", "rejects")}
    assert set(rejects) == {(3, "conversation"), (4, "context")}
    garbage = rejects[(3, "conversation")]
    assert garbage["reason"] == "unparseable_qa"
    assert "I'm sorry, I cannot help with that {{{" in garbage["detail"]
    assert garbage["trace"]["conversation"]["response"]["texts"] == [CONVERSATION["junk food"]]
    assert rejects[(4, "context")]["reason"] == "missing_annotation"
    assert stats["steps"]["conversation"]["rejected"] == {"unparseable_qa": 1}
    assert stats["steps"]["kinds"]["out"] == 9  # three kinds of the three captioned images

    # a rerun resumes: nothing is asked again
    paid = sum(llm.answered.values())
    run_recipe("llava-instruct.yaml", tmp_path / "run", *args)
    assert sum(llm.answered.values()) == paid
