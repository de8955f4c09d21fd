"""spot_difference (exact boxes by construction), frame_order (the answer from the
timestamps), image_group (siblings only, regular files only), video_qa_turns (letters checked),
caption_conversation, video_near_dedup (re-uploads and trims, not other videos)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.context import OpContext
from mmrecipe.ops.video.caption_conversation import CaptionConversation
from mmrecipe.ops.video.frame_order import FrameOrder
from mmrecipe.ops.video.image_group import ImageGroup
from mmrecipe.ops.video.spot_difference import SpotDifference
from mmrecipe.ops.video.video_intake import VideoIntake
from mmrecipe.ops.video.video_near_dedup import VideoNearDedup
from mmrecipe.ops.video.video_qa_turns import VideoQATurns, check_choice
from mmrecipe.sample import ImageRef, Sample, VideoRef
from mmrecipe.testing.videos import media_set


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return media_set(tmp_path_factory.mktemp("media"))


def setup(op, tmp_path: Path):  # type: ignore[no-untyped-def]
    op.setup(OpContext(run_dir=tmp_path))
    return op


def test_spot_difference_boxes_are_exact(media: dict[str, Path], tmp_path: Path) -> None:
    op = setup(SpotDifference(seed=1), tmp_path)
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        (s,) = op.process_batch([Sample(id=name, images=[ImageRef(str(media[name]))])])
        assert not s.rejected
        src = np.asarray(Image.open(s.images[0].path).convert("RGB")).astype(int)
        out = np.asarray(Image.open(s.images[1].path).convert("RGB")).astype(int)
        changed = np.abs(src - out).max(axis=2) > 0
        covered = np.zeros_like(changed)
        for d in s.fields["differences"]:
            x, y, w, h = d["bbox"]
            covered[y : y + h, x : x + w] = True
            inner = np.abs(src - out).max(axis=2)[y : y + h, x : x + w] > 24
            # tight: the visible change touches every edge of its box
            assert inner[0].any() and inner[-1].any() and inner[:, 0].any() and inner[:, -1].any()
        assert not changed[~covered].any()  # nothing changed outside the boxes
        answer = s.messages[1]["content"]
        n = len(s.fields["differences"])
        assert answer.splitlines()[0] == (
            "There is 1 difference:" if n == 1 else f"There are {n} differences:"
        )
        for line, d in zip(answer.splitlines()[1:], s.fields["differences"], strict=True):
            x, y, w, h = d["bbox"]
            assert f"[{x}, {y}, {x + w}, {y + h}]" in line
    again = setup(SpotDifference(seed=1), tmp_path / "b")
    (t,) = again.process_batch([Sample(id="rocket", images=[ImageRef(str(media["rocket"]))])])
    assert t.fields["differences"] == s.fields["differences"]  # deterministic


def test_frame_order_answer_follows_the_times(media: dict[str, Path], tmp_path: Path) -> None:
    samples = VideoIntake().process_batch(
        [Sample(id=n, videos=[VideoRef(str(media[n]))]) for n in ("shapes", "zoom", "static")]
    )
    out = setup(FrameOrder(num_frames=4), tmp_path).process_batch(samples)
    assert out[2].rejection is not None and out[2].rejection.reason == "static_shot"
    for s in out[:2]:
        times = s.fields["frame_order"]["times"]
        answer = s.fields["frame_order"]["answer"]
        assert [times[i - 1] for i in answer] == sorted(times)
        assert answer != [1, 2, 3, 4] and len(s.images) == 4 and not s.videos
    shots = out[0].fields["frame_order"]["times"]
    assert max(shots) < 2.0  # the first shot: the cut at 2 s is never crossed


def test_image_group_takes_regular_siblings(media: dict[str, Path], tmp_path: Path) -> None:
    folder = media["astronaut"].parent
    (folder / "link.png").unlink(missing_ok=True)
    os.symlink("/etc/hostname", folder / "link.png")
    op = ImageGroup(min_size=4, max_size=4)
    (s,) = op.process_batch([Sample(id="a", images=[ImageRef(str(media["astronaut"]))])])
    names = s.fields["group"]
    assert len(names) == 4 and names[0] == "astronaut.png"
    assert "link.png" not in names and "broken.png" not in names
    (folder / "link.png").unlink()


def test_qa_turns_check_letters() -> None:
    assert (
        check_choice({"question": "Q?", "options": {"A": "x", "B": "y"}, "answer": "(B)"})[1] == "B"
    )
    assert (
        check_choice({"question": "Q?", "options": ["x", "y"], "answer": "C"})
        == "answer_not_an_option"
    )
    assert (
        check_choice({"question": "Q?", "options": {"A": "x", "C": "y"}, "answer": "A"})
        == "bad_options"
    )
    assert check_choice({"question": "Q?", "options": ["x", "x"], "answer": "A"}) == "bad_options"
    text = (
        "Here:\n```json\n"
        + json.dumps({"open_ended": [{"question": "Q", "answer": "A."}]})
        + "\n```"
    )
    s = Sample(id="v", videos=[VideoRef("x.mp4")], fields={"qa_json": text})
    (s,) = VideoQATurns().process_batch([s])
    assert s.messages == [
        {"role": "user", "content": "<video>\nQ"},
        {"role": "assistant", "content": "A."},
    ]
    bad = Sample(id="w", fields={"qa_json": "no json here"})
    assert VideoQATurns().process_batch([bad])[0].rejection.reason == "unparsable_qa"  # type: ignore[union-attr]


def test_caption_conversation() -> None:
    s = Sample(id="v", videos=[VideoRef("x.mp4")], fields={"caption": " A dog runs. "})
    (s,) = CaptionConversation().process_batch([s])
    assert (
        s.messages[0]["content"].startswith("<video>\n")
        and s.messages[1]["content"] == "A dog runs."
    )
    (t,) = CaptionConversation().process_batch([Sample(id="w")])
    assert t.rejection is not None and t.rejection.reason == "missing_field"


def test_video_near_dedup(media: dict[str, Path]) -> None:
    names = ("shapes", "shapes_fast", "zoom", "static", "reupload")
    samples = VideoIntake().process_batch(
        [Sample(id=n, videos=[VideoRef(str(media[n]))]) for n in names]
    )
    op = VideoNearDedup()
    op.fit(samples)
    out = op.process_batch(samples)
    reasons = {s.id: s.rejection.reason if s.rejection else None for s in out}
    assert reasons == {"shapes": None, "shapes_fast": None, "zoom": None, "static": None,
                       "reupload": "near_duplicate"}  # fmt: skip
    assert "near-duplicate of shapes" in (out[4].rejection.detail or "")  # type: ignore[union-attr]
