"""Frame ordering (OneVision-style multi-image data): shuffled frames of one shot, the order
known from their timestamps."""

from __future__ import annotations

import hashlib
import random
from itertools import pairwise

import numpy as np

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.video.decode import VideoRejected, read_frames_at, uniform_times
from mmrecipe.video.frames import frame_folder, write_frame


@register_op("frame_order")
class FrameOrder(MapOp):
    """Take ``num_frames`` frames spread over the longest shot of the video (PySceneDetect;
    one shot, so the order is in the motion, not in a cut), shuffle them (seeded by the
    sample id; never the identity), and ask for their order in time. The answer comes from
    the timestamps; a shot whose frames do not differ (``min_change`` mean absolute grey
    change between neighbours) has no answer and is rejected (``static_shot``).

    Writes ``images`` (the shuffled frames), the conversation and ``fields.frame_order``
    (``{"times": [...], "answer": [...]}``).

    Rejects: ``no_video``, ``static_shot``, ``undecodable``.

    Args:
        num_frames: frames per question (3 to 8)
        min_change: least mean absolute grey change (0-255) between consecutive frames
        seed: picks the shuffle (with the sample id)
    """

    reads = ("videos",)
    writes = ("images", "messages", "fields.frame_order")

    def __init__(self, num_frames: int = 4, min_change: float = 1.0, seed: int = 0) -> None:
        if not 3 <= num_frames <= 8:
            raise ConfigError("frame_order: num_frames must be 3 to 8")
        self.num_frames, self.min_change, self.seed = num_frames, min_change, seed

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None
        from mmrecipe.video.shots import detect_shots

        root = self.ctx.image_dir / "frames"
        for sample in samples:
            if sample.rejected:
                continue
            if not sample.videos:
                sample.reject(self.name, "no_video", "sample has no video")
                continue
            ref = sample.videos[0]
            try:
                ref.shots = ref.shots or detect_shots(ref.path)
                start, end = max(ref.shots, key=lambda s: s[1] - s[0])
                times = [start + t for t in uniform_times(end - start, self.num_frames)]
                frames = read_frames_at(ref.path, times, 768)
            except VideoRejected as exc:
                sample.reject(self.name, exc.reason, exc.detail)
                continue
            grey = [f.mean(axis=2) for _, f in frames]
            changes = [float(np.abs(a - b).mean()) for a, b in pairwise(grey)]
            if len(frames) < self.num_frames or min(changes) < self.min_change:
                sample.reject(self.name, "static_shot", "neighbouring frames do not differ")
                continue
            rng = random.Random(hashlib.sha256(f"{self.seed}\x1f{sample.id}".encode()).digest())
            order = list(range(len(frames)))
            while order == sorted(order):
                rng.shuffle(order)
            folder = frame_folder(root, ref)
            fps = float(ref.fps or 0) or 1.0
            recs = [write_frame(f, folder, round(t * fps), t, 768, 92) for t, f in frames]
            sample.images = [
                ImageRef(path=recs[i]["path"], sha256=recs[i]["sha256"], format="JPEG")
                for i in order
            ]
            # answer: the shown images (1-based) in time order
            answer = [order.index(k) + 1 for k in range(len(order))]
            lead = "\n".join(["<image>"] * len(order))
            sample.messages = [
                {
                    "role": "user",
                    "content": f"{lead}\nThese {len(order)} frames come from one continuous shot "
                    "of a video, shuffled. Put them in the order they happen, as image numbers "
                    "separated by commas.",
                },
                {"role": "assistant", "content": ", ".join(map(str, answer))},
            ]
            sample.fields["frame_order"] = {
                "times": [recs[i]["t"] for i in order],
                "answer": answer,
            }
            sample.videos = []  # the sample is now a multi-image question about frames
        return samples
