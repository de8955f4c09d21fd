"""``recipes/honeypipe.yaml`` end to end through the CLI on a LLaVA file, against scripted
model servers: near-duplicate images (resized, recompressed, cropped copies), the pair rule
(same image + new question kept, same image + same question dropped), bad turns, the model
filter, short CoT, the long-CoT branch and its final rejection. Each sample's fate and reason
is checked, and re-thresholding the finished run costs no model call."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.testing.openai_server import FakeOpenAIServer
from mmrecipe.testing.records import data_records
from mmrecipe.testing.variants import distinct_photos, recompress, variants

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "honeypipe.yaml"

HELMET = "What is the astronaut holding in her hands?"
FLAGS = "How many flags are visible behind her? Answer the question using a single word or phrase."
FLAGS_STRIPPED = "How many flags are visible behind her?"
COFFEE = "Is the cup more than half full, judging by the level of the coffee?"
CAMERA = "How many legs of the tripod can be seen in the photograph?"
ORANGES = "Solve the function problem: find the minimum of f(x) = x^2 - 4x + 7."
SIGN = "What does the sign on the wall say?"
BOXES = "Where is the lamp? Give its bounding box."
PROOF = "Prove that the two triangles in the figure are congruent, step by step."
SCENE = "Why might the room look this way?"

#: stripped question -> (short CoT's final answer, long CoT's final answer)
COT = {
    FLAGS_STRIPPED: ("1", None),
    COFFEE: ("No", "Yes"),
    CAMERA: ("2", "2"),
    PROOF: ("SAS", "SAS"),
    SCENE: ("Someone is moving in.", "Boxes are stacked because someone is moving in, it seems."),
}
#: question -> reference answer
ANSWERS = {
    HELMET: "She is holding a white helmet.",
    FLAGS: "1",
    COFFEE: "Yes",
    CAMERA: "3",
    ORANGES: "The minimum is 3.",
    SIGN: "EXIT",
    BOXES: "The lamp is at [0.12, 0.30, 0.25, 0.61].",
    PROOF: "SAS",
    SCENE: "Boxes are stacked because someone is moving in.",
}


def _text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")


def _between(text: str, label: str) -> str:
    return re.search(label + r':\n"""\n(.*?)\n"""', text, re.S).group(1)


def _fidelity(text: str) -> str:
    reference = _between(text, "Reference answer")
    candidate = _between(text, "Candidate response")
    if text.startswith("You check a new response to a DESCRIPTIVE"):
        # coverage: every word of the reference appears in the candidate
        covered = all(w in candidate.lower() for w in re.findall(r"\w+", reference.lower()))
        return "[[AGREE]]" if covered else "[[DISAGREE]]"
    final = candidate.rsplit("Final answer:", 1)[-1].strip()
    return "[[AGREE]]" if reference.strip() == final else "[[DISAGREE]]"


def mllm_reply(body: dict[str, Any]) -> str | None:
    text = _text(body)
    if text.startswith("You judge the RELEVANCE"):
        question = _between(text, "Question")
        return "It is about another picture. [[1]]" if question == ORANGES else "Yes. [[5]]"
    if text.startswith("You judge the CORRECTNESS"):
        return "Right. [[5]]" if _between(text, "Question") == HELMET else "Mostly right. [[4]]"
    if text.startswith("You judge the"):
        return "Fine. [[4]]"
    if text.startswith("You check a new response"):
        assert "image_url" in json.dumps(body), "the fidelity judge sees the image"
        return _fidelity(text)
    question = text.split("\n\n", 1)[0]
    short, long = COT[question]
    if "inside <think> and </think>" in text:
        return f"<think>Looking again, step by step.</think>\nFinal answer: {long}"
    assert text == question, "short CoT: the question alone, no added format"
    return f"Step 1: look at the image. Step 2: count.\nFinal answer: {short}"


def llm_reply(body: dict[str, Any]) -> str | None:
    text = _text(body)
    if text.startswith("You triage a question"):
        question = _between(text, "Question")
        assert question != SIGN, "an OCR sample bypasses the triage"
        assert question != BOXES, "a detection answer bypasses the triage"
        if question == PROOF:
            return "[[COMPLEX]] [[FACTUAL]]"
        if question == SCENE:
            return "[[REASONING]] [[DESCRIPTIVE]]"
        level = "[[REASONING]]" if question in (FLAGS, COFFEE, CAMERA) else "[[DIRECT]]"
        return level + " [[FACTUAL]]"
    if text.startswith("You rate how useful"):
        return "Shallow. [[1]]" if "coffee" in text else "Useful. [[4]]"
    if text.startswith("You label the domain") and SIGN in text:
        return "[[ocr]]"
    if text.startswith("You label the domain"):
        return "Counting things: [[grounding_counting]]" if "How many" in text else "[[general]]"
    raise AssertionError(f"unexpected LLM prompt: {text[:80]}")


@pytest.fixture
def servers() -> Iterator[tuple[FakeOpenAIServer, FakeOpenAIServer]]:
    mllm = FakeOpenAIServer("plain", model="fake-mllm", responder=mllm_reply)
    llm = FakeOpenAIServer("plain", model="fake-llm", responder=llm_reply)
    mllm.start()
    llm.start()
    yield mllm, llm
    mllm.stop()
    llm.stop()


def _turns(question: str, answer: str) -> list[dict[str, str]]:
    return [{"from": "human", "value": f"<image>\n{question}"}, {"from": "gpt", "value": answer}]


def make_dataset(folder: Path) -> Path:
    folder.mkdir()
    astronaut, coffee, camera, other = distinct_photos(4)[::1]
    copies = variants(astronaut, np.random.default_rng(0))
    images = {
        "astronaut.jpg": astronaut,
        "astronaut_small.jpg": copies["resized"],
        "astronaut_q40.jpg": recompress(astronaut, 40),
        "astronaut_crop.jpg": copies["cropped"],
        "astronaut_bright.jpg": copies["brighter"],
        "coffee.jpg": coffee,
        "camera.jpg": camera,
        "other.jpg": other,
        "blank.png": Image.new("RGB", (320, 240), (200, 200, 200)),
    }
    for name, im in images.items():
        im.save(folder / name, quality=92)
    records = [
        ("small_first", "astronaut_small.jpg", _turns(HELMET, ANSWERS[HELMET])),
        ("orig", "astronaut.jpg", _turns(HELMET, ANSWERS[HELMET])),
        ("q40", "astronaut_q40.jpg", _turns(HELMET, ANSWERS[HELMET])),
        ("crop_new_q", "astronaut_crop.jpg", _turns(FLAGS, ANSWERS[FLAGS])),
        ("bright_same_q", "astronaut_bright.jpg", _turns(HELMET, "A helmet.")),
        ("coffee", "coffee.jpg", _turns(COFFEE, ANSWERS[COFFEE])),
        ("camera", "camera.jpg", _turns(CAMERA, ANSWERS[CAMERA])),
        ("oranges", "other.jpg", _turns(ORANGES, ANSWERS[ORANGES])),
        ("sign", "other.jpg", _turns(SIGN, ANSWERS[SIGN])),
        ("boxes", "other.jpg", _turns(BOXES, ANSWERS[BOXES])),
        ("proof", "other.jpg", _turns(PROOF, ANSWERS[PROOF])),
        ("scene", "other.jpg", _turns(SCENE, ANSWERS[SCENE])),
        ("blank", "blank.png", _turns(HELMET, "Nothing.")),
        (
            "two_users",
            "other.jpg",
            [
                *_turns(CAMERA, "3")[:1],
                {"from": "human", "value": "And the sky?"},
                {"from": "gpt", "value": "Blue."},
            ],
        ),
        ("empty_answer", "other.jpg", _turns("What is in the corner of the room?", "  ")),
        ("leaked", "other.jpg", _turns("What is on the table next to it?", "A lamp.</s>")),
        (
            "looping",
            "other.jpg",
            _turns("Describe the scene.", "the red chair and the " * 12 + "lamp."),
        ),
    ]
    data = [{"id": i, "image": img, "conversations": conv} for i, img, conv in records]
    path = folder / "data.json"
    path.write_text(json.dumps(data))
    return path


def run(
    tmp_path: Path,
    mllm: FakeOpenAIServer,
    llm: FakeOpenAIServer,
    *extra: str,
    data: str = "data.json",
) -> dict:
    sets = {
        "backends.mllm.base_url": mllm.base_url,
        "backends.mllm.model": "fake-mllm",
        "backends.mllm_long.base_url": mllm.base_url,
        "backends.mllm_long.model": "fake-mllm",
        "backends.llm.base_url": llm.base_url,
        "backends.llm.model": "fake-llm",
        "executor.shard_size": "5",
    }
    args = ["run", str(RECIPE), "--input", str(tmp_path / "ds" / data)]
    args += ["-o", str(tmp_path / "run"), "--quiet"]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    result = CliRunner().invoke(main, [*args, *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "run" / "stats.json").read_text())


def records(run_dir: Path, sub: str) -> list[dict]:
    if sub == "data":  # llava shards are JSON arrays
        return data_records(run_dir / sub)
    return [json.loads(x) for f in sorted((run_dir / sub).glob("*.jsonl")) for x in f.open()]


def calls(server: FakeOpenAIServer) -> int:
    return sum(server.answered.values())


EXPECTED = {
    "blank": ("image_rules", "near_blank"),
    "two_users": ("turn_structure", "non_alternating"),
    "empty_answer": ("turn_structure", "empty_turn"),
    "looping": ("turn_repetition", "repetitive"),
    "leaked": ("special_tokens", "special_tokens"),
    "small_first": ("dedup", "near_duplicate"),  # fewer pixels, though first in order
    "q40": ("dedup", "near_duplicate"),
    "bright_same_q": ("dedup", "near_duplicate"),
    "oranges": ("qa_gate", "low_qa_relevance"),
    "camera": ("fidelity_long", "unfaithful_cot"),  # short and long CoT both wrong
}


def test_honeypipe_fates_cot_and_free_rethreshold(tmp_path: Path, servers) -> None:
    mllm, llm = servers
    make_dataset(tmp_path / "ds")
    stats = run(tmp_path, mllm, llm)
    run_dir = tmp_path / "run"
    rejects = {r["id"]: r for r in records(run_dir, "rejects")}
    assert {k: (r["op"], r["reason"]) for k, r in rejects.items()} == EXPECTED
    kept = {s["id"]: s for s in records(run_dir, "samples")}
    assert set(kept) == {
        *("orig", "crop_new_q", "coffee", "sign", "boxes", "scene"),
        *("proof", "proof-long"),  # a complex sample: short CoT and, proactively, long CoT
    }
    assert stats["totals"] == {"input": 17, "kept": 8, "rejected": 10}

    # the reject says what matched: the survivor (most pixels), distance, similarity
    for sid in ("small_first", "q40", "bright_same_q"):
        detail = rejects[sid]["detail"]
        assert detail.startswith("near-duplicate of orig (image ") and "astronaut" in detail
        assert "); image distance " in detail
    assert "instruction similarity 1.00" in rejects["q40"]["detail"]
    assert "turn 1 contains '</s>'" in rejects["leaked"]["detail"]
    assert rejects["camera"]["detail"] == "long CoT answers '2', the original '3'"
    assert [r["op"] for r in rejects["camera"]["trace"]["routes"]] == ["fidelity_short"]

    # scores stored per dimension; CoT recorded as none / short / long
    assert kept["orig"]["scores"]["qa_correctness"] == 5
    assert kept["coffee"]["scores"]["qa_relevance"] == 5
    assert {k: s["fields"]["cot"] for k, s in kept.items()} == {
        "orig": "none",
        "crop_new_q": "short",
        "coffee": "long",
        "sign": "none",  # OCR: bypasses the triage, as in the paper
        "boxes": "none",  # detection output (box coordinates): bypasses too
        "proof": "short",
        "proof-long": "long",
        "scene": "long",
    }
    # question types pick the fidelity criterion: the descriptive scene's long answer covers
    # the reference (an exact-match criterion would have failed it)
    assert kept["scene"]["fields"]["question_type"] == "descriptive"
    assert kept["proof"]["fields"]["complexity"] == "complex"
    assert kept["coffee"]["scores"]["cot_fidelity_short"] == 0
    assert kept["coffee"]["scores"]["cot_fidelity_long"] == 1

    # LLaVA output: the enriched question lost its "single word" constraint, the answer is
    # the reasoning; the others are unchanged; domain and cot travel along
    data = {r["id"]: r for r in records(run_dir, "data")}
    flags = data["crop_new_q"]["conversations"]
    assert flags[0]["value"] == f"<image>\n{FLAGS_STRIPPED}"
    assert flags[1]["value"].endswith("Final answer: 1") and "Step 1" in flags[1]["value"]
    assert data["crop_new_q"]["domain"] == "grounding_counting"
    assert data["orig"]["conversations"][1]["value"] == ANSWERS[HELMET]
    assert data["coffee"]["cot"] == "long"
    # the long branch's <think> trace survives into the trainer file
    coffee = data["coffee"]["conversations"][1]["value"]
    assert coffee.startswith("<think>\nLooking again, step by step.\n</think>\n\nFinal answer: Yes")
    assert data["proof-long"]["conversations"][1]["value"].startswith("<think>")
    assert data["boxes"]["conversations"][1]["value"] == ANSWERS[BOXES]

    # the funnel: every step, the long branch's detour included
    steps = stats["steps"]
    assert steps["fidelity_short"]["routed"] == {"long": 3}  # coffee, camera, scene
    assert (steps["cot_long"]["in"], steps["long_done"]["out"]) == (4, 3)  # + proof's copy
    assert steps["domain"]["in"] == 9  # labelled right after dedup (stage 1)
    assert steps["cot_triage"]["usage"]["llm"]["requests"] == 6  # not the OCR / box samples

    # tightening the gate: fewer kept, not one model call
    mllm_calls, llm_calls = calls(mllm), calls(llm)
    stats = run(tmp_path, mllm, llm, "--set", "ops.qa_gate.minimums.qa_correctness=5")
    assert (calls(mllm), calls(llm)) == (mllm_calls, llm_calls)
    assert stats["totals"]["kept"] == 1
    assert stats["reject_reasons"]["qa_gate:low_qa_correctness"] == 7  # all but the helmet


@pytest.mark.slow
def test_honeypipe_with_tiny_random_models(tmp_path: Path, tiny_llava_dir: Path) -> None:
    """The in-process engine behind every model step. Random text fails most parses; every
    sample must still be kept or rejected with a reason. A second run without the judge and
    the triage carries samples on to the domain labels (fallback for random replies)."""
    make_dataset(tmp_path / "ds")
    engine = "{type: transformers, model: " + str(tiny_llava_dir) + ", device: cpu}"
    base = ["run", str(RECIPE), "--input", str(tmp_path / "ds" / "data.json"), "--quiet"]
    for backend in ("mllm", "llm", "mllm_long"):
        base += ["--set", f"backends.{backend}={engine}"]
    for step in ("qa_judge", "cot_triage", "cot_short", "cot_long", "fidelity_short", "domain"):
        base += ["--set", f"ops.{step}.max_tokens=8"]
    skip = ["--set", "ops.qa_judge.enabled=false", "--set", "ops.qa_gate.enabled=false"]
    skip += ["--set", "ops.cot_triage.enabled=false"]
    for name, extra in (("run", []), ("run2", skip)):
        run_dir = tmp_path / name
        result = CliRunner().invoke(main, [*base, "-o", str(run_dir), *extra])
        assert result.exit_code == 0, result.output
        stats = json.loads((run_dir / "stats.json").read_text())
        kept, rejected = records(run_dir, "samples"), records(run_dir, "rejects")
        assert stats["totals"]["input"] == 17
        assert len(kept) + len(rejected) >= 17  # proactive long copies come on top
        assert all(r["op"] and r["reason"] for r in rejected)
        assert stats["usage"]["mllm" if name == "run" else "llm"]["requests"] >= 1
    assert stats["steps"]["domain"]["in"] >= 1
    assert all(s["fields"]["domain"] == "general" for s in kept)  # random text: the fallback


@pytest.mark.parametrize("fmt", ["parquet", "sharegpt"])
def test_honeypipe_reads_parquet_and_sharegpt(tmp_path: Path, servers, fmt: str) -> None:
    """The same dataset converted by ``mmrecipe convert``: the same fates."""
    mllm, llm = servers
    source = make_dataset(tmp_path / "ds")
    target = tmp_path / "ds" / ("data.parquet" if fmt == "parquet" else "data_sharegpt.json")
    result = CliRunner().invoke(main, ["convert", str(source), str(target), "--to", fmt])
    assert result.exit_code == 0, result.output
    stats = run(tmp_path, mllm, llm, data=target.name)
    expected = dict(EXPECTED)
    if fmt == "sharegpt":
        # LLaMA-Factory's layout holds user/assistant alternating: the writer merged the two
        # user turns of "two_users" into one, so the converted record is a valid one
        del expected["two_users"]
    n_rejected = len(expected)
    # 17 records; a complex sample's proactive long copy adds one kept sample
    assert stats["totals"] == {"input": 17, "kept": 18 - n_rejected, "rejected": n_rejected}
    reasons = sorted(r["reason"] for r in records(tmp_path / "run", "rejects"))
    assert reasons == sorted(reason for _, reason in expected.values())


def test_learned_filter_fits_saves_and_is_reused(tmp_path: Path, servers) -> None:
    """OctoThinker's recipe switched on: LLM labels, a fastText classifier fit in the run dir,
    then applied by another run from its file with no labelling call."""
    mllm, llm = servers
    make_dataset(tmp_path / "ds")
    on = ["--set", "ops.quality_labels.enabled=true", "--set", "ops.learned_filter.enabled=true"]
    on += [
        "--set",
        "ops.quality_labels.sample_rate=1.0",
        "--set",
        "ops.learned_filter.min_labeled=2",
    ]
    stats = run(tmp_path, mllm, llm, *on)
    model = tmp_path / "run" / "models" / "learned_filter.bin"
    assert model.is_file()
    assert stats["steps"]["quality_labels"]["in"] == 8
    decided = {
        r["id"]: r["scores"]["learned_filter_prob"]
        for r in records(tmp_path / "run", "samples") + records(tmp_path / "run", "rejects")
        if "learned_filter_prob" in r["scores"]
    }
    assert len(decided) == 8
    labels = sum("You rate how useful" in _text(b) for b in llm.bodies)
    (tmp_path / "run").rename(tmp_path / "first")
    model = tmp_path / "first" / "models" / "learned_filter.bin"
    reuse = ["--set", "ops.learned_filter.enabled=true", "--set"]
    reuse.append(f"ops.learned_filter.model_path={model}")
    run(tmp_path, mllm, llm, *reuse)
    again = {
        r["id"]: r["scores"]["learned_filter_prob"]
        for r in records(tmp_path / "run", "samples") + records(tmp_path / "run", "rejects")
        if "learned_filter_prob" in r["scores"]
    }
    assert again == decided
    assert sum("You rate how useful" in _text(b) for b in llm.bodies) == labels
