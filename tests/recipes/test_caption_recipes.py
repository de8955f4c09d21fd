"""``recaption-detailed``, ``capsfusion`` (two captioners, and alt-text + one captioner) and
``allava`` end to end through the CLI against scripted servers: who sees the image, what the
fuser and the QA step read, the turns and fields of every output sample."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mmrecipe.testing.openai_server import FakeOpenAIServer, by_marker
from mmrecipe.testing.recipe_runs import check_llava_turns, n_images, records, run_recipe, user_text

LONG = (
    "A wooden table stands in a bright kitchen with white cabinets. On the table are a blue "
    "ceramic cup, a plate with two slices of toast and a folded newspaper whose headline reads "
    "MARKETS RALLY. Morning light falls through a window on the left."
)


def colour(body: dict[str, Any]) -> int:
    """Which test image a request carries (its red channel), from the data URL."""
    import base64
    import io

    for m in body["messages"]:
        for part in m["content"] if isinstance(m["content"], list) else []:
            if part.get("type") == "image_url":
                data = part["image_url"]["url"].split(",", 1)[1]
                return Image.open(io.BytesIO(base64.b64decode(data))).getpixel((0, 0))[0]
    raise AssertionError("no image")


def make_images(folder: Path, reds: list[int]) -> None:
    folder.mkdir(parents=True)
    for red in reds:
        Image.new("RGB", (32, 32), (red, 0, 0)).save(folder / f"r{red}.png")


@pytest.fixture
def servers() -> Iterator[list[FakeOpenAIServer]]:
    started: list[FakeOpenAIServer] = []
    yield started
    for server in started:
        server.stop()


def serve(started: list[FakeOpenAIServer], responder: Any) -> FakeOpenAIServer:
    server = FakeOpenAIServer("plain", responder=responder)
    server.start()
    started.append(server)
    return server


def test_recaption_detailed(tmp_path: Path, servers: list[FakeOpenAIServer]) -> None:
    # red 10: a good caption; red 20: a chat-template leftover the screen rejects
    mllm = serve(servers, lambda b: LONG if colour(b) == 10 else "A cat.<|im_end|> user: hi")
    make_images(tmp_path / "img", [10, 20])
    run_recipe(
        "recaption-detailed.yaml", tmp_path / "run", "--input", str(tmp_path / "img"),
        "--set", f"backends.mllm.base_url={mllm.base_url}", "--set", "backends.mllm.model=m",
    )  # fmt: skip
    assert all(n_images(b) == 1 for b in mllm.bodies)
    (rec,) = records(tmp_path / "run", "data")
    check_llava_turns(rec)
    assert rec["conversations"][1]["value"] == LONG and rec["kind"] == "detailed_caption"
    (reject,) = records(tmp_path / "run", "rejects")
    assert reject["reason"] == "special_tokens"


def test_capsfusion_two_captioners(tmp_path: Path, servers: list[FakeOpenAIServer]) -> None:
    cap_a = serve(servers, lambda b: f"a dog on grass {colour(b)}")
    cap_b = serve(servers, lambda b: "Golden retriever Max at Hyde Park, London" if colour(b) == 10
                  else "")  # fmt: skip
    llm = serve(servers, by_marker({"Merge them": "Max, a golden retriever, on the grass of "
                                    "Hyde Park in London."}))  # fmt: skip
    make_images(tmp_path / "img", [10, 20])
    run_recipe(
        "capsfusion.yaml", tmp_path / "run", "--input", str(tmp_path / "img"),
        *("--set", f"backends.captioner_a.base_url={cap_a.base_url}"),
        *("--set", f"backends.captioner_b.base_url={cap_b.base_url}"),
        *("--set", f"backends.llm.base_url={llm.base_url}"),
    )  # fmt: skip
    assert all(n_images(b) == 1 for b in cap_a.bodies + cap_b.bodies)
    assert llm.bodies and all(n_images(b) == 0 for b in llm.bodies)  # the fuser is text-only
    (prompt,) = [user_text(b) for b in llm.bodies]
    assert "Caption from caption_a: a dog on grass 10\n" in prompt
    assert prompt.endswith("Caption from caption_b: Golden retriever Max at Hyde Park, London")
    (rec,) = records(tmp_path / "run", "data")
    check_llava_turns(rec)
    assert rec["caption"] == rec["conversations"][1]["value"]
    assert rec["caption"].startswith("Max, a golden retriever")
    assert (rec["caption_a"], rec["caption_b"]) == (
        "a dog on grass 10", "Golden retriever Max at Hyde Park, London")  # fmt: skip
    (reject,) = records(tmp_path / "run", "rejects")  # captioner b answered nothing for red 20
    assert (reject["op"], reject["reason"]) == ("caption_b", "empty_output")


def test_capsfusion_alt_text(tmp_path: Path, servers: list[FakeOpenAIServer]) -> None:
    cap_a = serve(servers, lambda b: "a red square")
    llm = serve(servers, by_marker({"Merge them": "A red square logo of ACME Corp."}))
    make_images(tmp_path / "img", [10])
    rows = [{"id": "x1", "image": "r10.png", "alt_text": "ACME Corp logo  2019\n(red)"}]
    (tmp_path / "img" / "alt.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    run_recipe(
        "capsfusion.yaml", tmp_path / "run", "--input", str(tmp_path / "img" / "alt.jsonl"),
        *("--set", "input.format=llava", "--set", "ops.caption_b.enabled=false"),
        *("--set", "ops.sources.sources=[alt_text,caption_a]"),
        *("--set", f"backends.captioner_a.base_url={cap_a.base_url}"),
        *("--set", f"backends.captioner_b.base_url={cap_a.base_url}"),
        *("--set", f"backends.llm.base_url={llm.base_url}"),
    )  # fmt: skip
    (prompt,) = [user_text(b) for b in llm.bodies]
    assert (
        "Caption from alt_text: ACME Corp logo 2019 (red)\nCaption from caption_a: a red square"
        in prompt
    )
    (rec,) = records(tmp_path / "run", "data")
    assert (
        rec["alt_text"] == rows[0]["alt_text"]
        and rec["caption"] == "A red square logo of ACME Corp."
    )
    assert len(cap_a.bodies) == 1  # captioner b was switched off


def allava_reply(body: dict[str, Any]) -> str:
    red, text = colour(body), user_text(body)
    if "Describe this image in fine detail" in text:
        return LONG if red != 30 else LONG.replace("kitchen", "garden")
    assert "Here is an image and a detailed description" in text
    if red == 10:
        return 'Sure:\n```json\n[{"question": "What does the headline suggest?", "answer": ' \
               '"Markets went up."}]\n```'  # fmt: skip
    if red == 20:
        return "Question: Why is the room bright?\nAnswer: Light comes through the window."
    return "{not json at all"


def test_allava_caption_then_qa(tmp_path: Path, servers: list[FakeOpenAIServer]) -> None:
    mllm = serve(servers, allava_reply)
    make_images(tmp_path / "img", [10, 20, 30])
    stats = run_recipe(
        "allava.yaml", tmp_path / "run", "--input", str(tmp_path / "img"),
        "--set", f"backends.mllm.base_url={mllm.base_url}", "--set", "backends.mllm.model=m",
    )  # fmt: skip
    assert all(n_images(b) == 1 for b in mllm.bodies)  # one MLLM, always with the image
    qa_prompts = [user_text(b) for b in mllm.bodies if "Here is an image" in user_text(b)]
    assert len(qa_prompts) == 3 and all(f'"""\n{LONG}' in p or "garden" in p for p in qa_prompts)
    out = records(tmp_path / "run", "data")
    for rec in out:
        check_llava_turns(rec)
    by_kind: dict[str, list[dict]] = {}
    for rec in out:
        by_kind.setdefault(rec["kind"], []).append(rec)
    assert len(by_kind["caption"]) == 3 and len(by_kind["instruct"]) == 2
    qa = sorted(r["qa"][0]["question"] for r in by_kind["instruct"])
    assert qa == ["What does the headline suggest?", "Why is the room bright?"]
    assert all(r["caption"] in (LONG, LONG.replace("kitchen", "garden")) for r in out)
    (reject,) = records(tmp_path / "run", "rejects")
    assert reject["reason"] == "unparseable_qa" and "{not json at all" in reject["detail"]
    assert stats["steps"]["qa"]["rejected"] == {"unparseable_qa": 1}
