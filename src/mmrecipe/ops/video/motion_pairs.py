"""ByteMorph-style frame pairs: two frames of one shot, a short gap apart, with real motion."""

from __future__ import annotations

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import ExpandOp
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.stats import current_step_stats
from mmrecipe.video.decode import VideoRejected, read_frames_at
from mmrecipe.video.frames import frame_folder, write_frame
from mmrecipe.video.motion import histogram_similarity, measure_motion


@register_op("motion_pairs")
class MotionPairs(ExpandOp):
    """Cut each video into shots (PySceneDetect), take frame pairs ``gap`` seconds apart
    inside a shot every ``stride`` seconds, measure the optical flow between them
    (``mmrecipe.video.motion``) and keep the pairs with real motion: one child per pair
    (``<id>-m<k>``), its two frames as ``images`` (source, then target: ``edit_triplets``'
    ``source_image``/``edited_image``), the measured motion in ``fields.motion``.

    Dropped pairs are counted in the step's ``routed`` stats: ``static_pair`` (flow under
    ``static_px``), ``shot_cut`` (colour histograms disagree: a cut PySceneDetect missed).
    A video with no pair left is rejected (``no_motion_pairs``).

    Differs from ByteMorph: the paper composites foregrounds over new backgrounds and filters
    720p+ clips with segmentation; here the pairs are the video's own frames, checked by flow.

    Args:
        gap: seconds between the two frames of a pair
        stride: seconds between the starts of consecutive pairs in a shot
        max_pairs: most pairs kept per video
        static_px: 99th-percentile flow (px at 256 px) below which a pair is static
        cut_similarity: histogram correlation below which a pair spans a cut
        shot_threshold: PySceneDetect ContentDetector threshold
        max_side: frames are written with their longest side at most this
    """

    reads = ("videos",)
    writes = ("images", "fields.motion", "fields.source_image", "fields.edited_image")

    def __init__(
        self,
        gap: float = 0.2,
        stride: float = 1.0,
        max_pairs: int = 4,
        static_px: float = 2.0,
        cut_similarity: float = 0.5,
        shot_threshold: float = 27.0,
        max_side: int | None = 768,
    ) -> None:
        if gap <= 0 or stride <= 0 or max_pairs < 1:
            raise ConfigError("motion_pairs: gap and stride must be > 0, max_pairs >= 1")
        self.gap, self.stride, self.max_pairs = gap, stride, max_pairs
        self.static_px, self.cut_similarity = static_px, cut_similarity
        self.shot_threshold, self.max_side = shot_threshold, max_side

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.ctx is not None
        from mmrecipe.video.shots import detect_shots

        stats = current_step_stats.get()
        root = self.ctx.image_dir / "frames"
        out: list[Sample] = []
        for sample in samples:
            if sample.rejected or not sample.videos:
                if not sample.rejected:
                    sample.reject(self.name, "no_video", "sample has no video")
                out.append(sample)
                continue
            ref = sample.videos[0]
            try:
                ref.shots = ref.shots or detect_shots(ref.path, self.shot_threshold)
                pairs = [
                    (t, t + self.gap)
                    for start, end in ref.shots
                    for t in _starts(start, end - self.gap, self.stride)
                ]
                times = sorted({t for pair in pairs for t in pair})
                frames = dict(read_frames_at(ref.path, times, self.max_side))
                decoded = sorted(frames)
            except VideoRejected as exc:
                out.append(sample.reject(self.name, exc.reason, exc.detail))
                continue
            children = []
            for t0, t1 in pairs:
                a, b = _nearest(decoded, t0), _nearest(decoded, t1)
                if a is None or b is None or a == b:
                    continue
                if histogram_similarity(frames[a], frames[b]) < self.cut_similarity:
                    if stats is not None:
                        stats.routed["shot_cut"] += 1
                    continue
                motion = measure_motion(frames[a], frames[b], self.static_px)
                if motion.kind == "static":
                    if stats is not None:
                        stats.routed["static_pair"] += 1
                    continue
                folder = frame_folder(root, ref)
                fps = float(ref.fps or 0) or 1.0
                recs = [
                    write_frame(frames[t], folder, round(t * fps), t, self.max_side, 95)
                    for t in (a, b)
                ]
                child = sample.child(f"m{len(children)}")
                child.images = [
                    ImageRef(path=r["path"], sha256=r["sha256"], format="JPEG") for r in recs
                ]
                child.fields.update(
                    motion={**motion.to_dict(), "t0": recs[0]["t"], "t1": recs[1]["t"]},
                    source_image=0,
                    edited_image=1,
                )
                child.messages = []
                children.append(child)
                if len(children) >= self.max_pairs:
                    break
            if not children:
                out.append(
                    sample.reject(self.name, "no_motion_pairs", "every pair was static or a cut")
                )
                continue
            out.extend(children)
        return out


def _starts(start: float, last: float, stride: float) -> list[float]:
    out, t = [], start + stride / 4  # not on the shot's first frame (a cut's neighbour)
    while t <= last + 1e-9:
        out.append(round(t, 6))
        t += stride
    return out


def _nearest(times: list[float], t: float) -> float | None:
    """The decoded time read_frames_at gave for the wanted ``t`` (the first at or after)."""
    return next((d for d in times if d + 1e-6 >= t), times[-1] if times else None)
