"""The video and multi-image recipes end to end through the CLI against the scripted server
(``--script video``, ``oasis``) on generated videos: moving shapes with a shot cut, a zoom,
a static clip, a trimmed re-upload, truncated / empty / fake files. Every input is accounted
for (kept, or rejected with its reason) and the outputs hold what their trainers read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmrecipe.testing.openai_server import FakeOpenAIServer, oasis_script
from mmrecipe.testing.recipe_runs import records, run_recipe
from mmrecipe.testing.video_script import video_script
from mmrecipe.testing.videos import media_set, video_set

QWEN = "Qwen/Qwen2.5-VL-7B-Instruct"
BROKEN = {"truncated": "truncated", "empty": "zero_length", "notavideo": "undecodable"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    video_set(folder)
    return folder


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    srv = FakeOpenAIServer("vllm", model=QWEN, responder=video_script)
    srv.start()
    yield srv
    srv.stop()


def run(recipe: str, run_dir: Path, inputs: Path, url: str, *extra: str) -> dict:
    return run_recipe(
        recipe, run_dir, "--input", str(inputs), "--set", f"backends.mllm.base_url={url}",
        "--set", f"backends.mllm.model={QWEN}", *extra,
    )  # fmt: skip


def rejects_by_file(run_dir: Path) -> dict[str, str]:
    out = {}
    for r in records(run_dir, "rejects"):
        source = (r.get("fields") or {}).get("source_file") or r.get("id")
        out[Path(str(source)).stem] = r["reason"]
    return out


def check_accounted(stats: dict, n_inputs: int) -> None:
    assert stats["totals"]["input"] == n_inputs
    assert stats["steps"]["read"]["out"] == n_inputs


def test_video_caption(tmp_path: Path, clips: Path, server: FakeOpenAIServer) -> None:
    stats = run("video-caption.yaml", tmp_path / "run", clips, server.base_url)
    check_accounted(stats, 8)
    rejected = rejects_by_file(tmp_path / "run")
    assert {k: rejected[k] for k in BROKEN} == BROKEN
    assert rejected["shapes_reupload"] == "near_duplicate"
    kept = records(tmp_path / "run", "data")  # sharegpt first
    assert sorted(Path(r["videos"][0]).stem for r in kept) == [
        "shapes",
        "shapes_fast",
        "static",
        "zoom",
    ]
    assert stats["totals"]["kept"] + len(rejected) == 8
    shapes = next(r for r in kept if r["videos"][0].endswith("/shapes.mp4"))
    assert shapes["messages"][0]["content"].startswith("<video>\n")
    assert shapes["messages"][1]["content"].startswith("A yellow square slides")
    caps = json.loads(json.dumps(shapes["keyframe_captions"]))
    assert [c["t"] for c in caps] == [1.0, 3.0]  # one keyframe per shot: the cut at 2 s
    # the pair request saw the two keyframes; the summary saw no image
    diff = [b for b in server.bodies if "two consecutive keyframes" in json.dumps(b)]
    assert diff and all(
        sum(p.get("type") == "image_url" for p in b["messages"][-1]["content"]) == 2 for b in diff
    )
    info = json.loads((tmp_path / "run" / "trainers" / "dataset_info.json").read_text())
    assert all(e["columns"]["videos"] == "videos" for e in info.values())
    ov = records(tmp_path / "run", "data/llava_onevision")
    assert all(
        "image" not in r and r["conversations"][0]["value"].startswith("<image>") for r in ov
    )


def test_video_qa_frames_on_a_plain_server(tmp_path: Path, clips: Path) -> None:
    """A plain server takes no video parts: the sampled frames go as images."""
    srv = FakeOpenAIServer("plain", model=QWEN, responder=video_script)
    srv.start()
    try:
        stats = run("video-qa.yaml", tmp_path / "run", clips, srv.base_url)
    finally:
        srv.stop()
    check_accounted(stats, 8)
    captions = [b for b in srv.bodies if "Describe this video" in json.dumps(b)]
    assert captions and all(
        [p["type"] for p in b["messages"][-1]["content"]].count("image_url") == 8 for b in captions
    )
    kept = records(tmp_path / "run", "data")
    assert len(kept) == 5  # the re-upload is not deduplicated in this recipe
    turns = kept[0]["messages"]
    assert turns[0]["content"].startswith("<video>\n") and len(turns) == 6
    assert turns[5]["content"] == "B"  # the item with the letter outside its options is dropped
    assert stats["steps"]["qa_turns"]["routed"] == {"dropped_choice_answer_not_an_option": 5}


def test_oasis_video(tmp_path: Path, clips: Path) -> None:
    srv = FakeOpenAIServer("vllm", model=QWEN, responder=oasis_script)
    srv.start()
    try:
        stats = run("oasis-video.yaml", tmp_path / "run", clips, srv.base_url,
                    "--set", f"backends.llm.base_url={srv.base_url}",
                    "--set", "backends.llm.model=llm")  # fmt: skip
    finally:
        srv.stop()
    check_accounted(stats, 8)
    hooks = [b for b in srv.bodies if b.get("continue_final_message")]
    assert len(hooks) == 5
    assert all(
        [p["type"] for p in b["messages"][-1]["content"]] == ["video_url", "text"] for b in hooks
    )
    judges = [b for b in srv.bodies if "[[k]]" in json.dumps(b) or "Rate" in json.dumps(b)]
    assert any("video_url" in json.dumps(b) for b in judges)  # the MLLM judges see the video
    kept = records(tmp_path / "run", "data")
    assert len(kept) == 5 and all(r["messages"][0]["content"].startswith("<video>\n") for r in kept)


def test_oasis_video_refuses_a_family_without_video(tmp_path: Path, clips: Path) -> None:
    from click.testing import CliRunner

    from mmrecipe.cli import main
    from mmrecipe.errors import MMRecipeError
    from mmrecipe.testing.recipe_runs import RECIPES

    srv = FakeOpenAIServer("vllm", model="llava-hf/llava-1.5-7b-hf")
    srv.start()
    try:
        result = CliRunner().invoke(main, [
            "run", str(RECIPES / "oasis-video.yaml"), "-o", str(tmp_path / "run"), "--quiet",
            "--input", str(clips), "--set", f"backends.mllm.base_url={srv.base_url}",
            "--set", "backends.mllm.model=llava-hf/llava-1.5-7b-hf",
            "--set", f"backends.llm.base_url={srv.base_url}", "--set", "backends.llm.model=llm",
        ])  # fmt: skip
    finally:
        srv.stop()
    # entry() turns this error into one line and exit code 2
    assert isinstance(result.exception, MMRecipeError)
    assert "no known video placeholder" in str(result.exception)


def test_bytemorph(tmp_path: Path, clips: Path, server: FakeOpenAIServer) -> None:
    datasets = pytest.importorskip("datasets")
    stats = run("bytemorph.yaml", tmp_path / "run", clips, server.base_url)
    check_accounted(stats, 8)
    pairs = stats["steps"]["pairs"]
    assert pairs["routed"].get("static_pair", 0) >= 1
    assert pairs["rejected"]["no_motion_pairs"] >= 1  # the static clip
    verify = stats["steps"]["verify"]["rejected"]
    assert verify["motion_mismatch"] >= 1  # the zoom clip: the script always says object motion
    out = sorted((tmp_path / "run" / "data").glob("*.parquet"))
    ds = datasets.load_dataset("parquet", data_files=[str(p) for p in out], split="train",
                               cache_dir=str(tmp_path / "hf"))  # fmt: skip
    assert len(ds) == stats["outputs"]["edit_triplets"]["written"] >= 1
    row = ds[0]
    assert row["instruction"] == "Move the square to the right."
    assert row["edit_type"] == "object_motion_right"
    assert row["source_image"].size == row["edited_image"].size


def test_multi_image(tmp_path: Path, server: FakeOpenAIServer) -> None:
    media = tmp_path / "media"
    media_set(media)
    stats = run("multi-image.yaml", tmp_path / "run", media, server.base_url)
    check_accounted(stats, 14)
    rejected = rejects_by_file(tmp_path / "run")
    assert rejected["static"] == "static_shot" and rejected["broken"] == "corrupt"
    kept = records(tmp_path / "run", "data")
    kinds = {}
    for r in kept:
        kinds.setdefault(r.get("kind") or ("order" if "frame_order" in r else "?"), []).append(r)
    assert len(kinds["spot"]) == 5 and len(kinds["compare"]) == 5 and len(kinds["order"]) == 4
    for r in kinds["spot"]:
        assert len(r["image"]) == 2
    for r in kinds["order"]:
        assert r["conversations"][1]["value"] == ", ".join(map(str, r["frame_order"]["answer"]))
    for r in kinds["compare"]:
        assert 2 <= len(r["image"]) <= 4
        assert r["conversations"][0]["value"].count("<image>") == len(r["image"])


SHORT = {  # a few frames: the tiny model reads every one as an image on CPU
    "video-caption": ["ops.keyframes.max_frames=2", "ops.keyframe_captions.max_tokens=8",
                      "ops.dense_caption.max_tokens=8"],
    "video-qa": ["ops.frames.num_frames=2", "ops.caption.max_tokens=8", "ops.write_qa.max_tokens=8"],
    "bytemorph": ["ops.pairs.max_pairs=1", "ops.name_motion.max_tokens=8"],
    "multi-image": ["ops.compare_qa.max_tokens=8", "ops.group.max_size=2"],
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("recipe", sorted(SHORT))
def test_dry_run_with_the_test_kit(recipe: str, tmp_path: Path, tiny_stand_ins: Path) -> None:
    """``python -m mmrecipe.testing tiny``: the tiny random LLaVA in process stands in for the
    servers; it takes no video parts, so the frames go as images. Its answers are noise, so
    the QA / motion parsers reject them: every input is still accounted for."""
    from mmrecipe.testing.recipe_runs import RECIPES
    from mmrecipe.testing.standins import standin_overrides
    from mmrecipe.testing.videos import moving_shapes

    media = tmp_path / "media"
    moving_shapes(media / "shapes.mp4", seconds=2.0, cut_at=1.0)
    (media / "empty.mp4").write_bytes(b"")
    if recipe == "multi-image":
        from PIL import Image

        for i in range(2):
            Image.new("RGB", (96, 72), (60 * i, 120, 200)).save(media / f"i{i}.png")
    sets = standin_overrides(RECIPES / f"{recipe}.yaml", tiny_stand_ins) + SHORT[recipe]
    args = [a for s in sets for a in ("--set", s)]
    stats = run_recipe(f"{recipe}.yaml", tmp_path / "run", "--input", str(media), *args)
    n = 4 if recipe == "multi-image" else 2
    check_accounted(stats, n)
    rejected = rejects_by_file(tmp_path / "run")
    assert rejected["empty"] == "zero_length"
    kept = stats["totals"]["kept"]
    assert kept + len(rejected) >= n  # expand steps may make several samples of one input
