"""Near-duplicate videos by their frame-hash sequences: re-uploads, re-encodes, trimmed copies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
from PIL import Image

from mmrecipe.curation.hamming import EXACT_LIMIT, UnionFind, self_pairs
from mmrecipe.curation.phash import image_hashes
from mmrecipe.ops.base import BarrierOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.video.decode import VideoRejected, iter_frames


def frame_hashes(path: str, fps: float, video_fps: float) -> list[int]:
    """dHash (64 bits) of ``fps`` frames per second, streamed at 64 px (one frame in memory)."""
    every = max(1, round(video_fps / fps)) if video_fps else 1
    return [
        int(image_hashes(Image.fromarray(frame), "dhash")[0], 16)
        for _, _, frame in iter_frames(path, every=every, max_side=64)
    ]


def frame_pairs(hashes: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of frame hashes within ``radius`` bits: an exact scan in blocks of 2^18
    comparisons (2 MB, so memory does not grow with the dataset), LSH past what an exact scan
    does in reasonable time (``curation.hamming.EXACT_LIMIT``)."""
    n = len(hashes)
    if n * n > EXACT_LIMIT:
        a, b, _ = self_pairs(hashes, radius, method="lsh")
        return a, b
    rows = max(1, (1 << 18) // max(1, n))
    qs, xs = [], []
    for start in range(0, n, rows):
        dist = np.bitwise_count(hashes[start : start + rows, None] ^ hashes[None, :])
        q, x = np.nonzero(dist <= radius)
        q += start
        keep = q < x
        qs.append(q[keep])
        xs.append(x[keep])
    if not qs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(qs), np.concatenate(xs)


@register_op("video_near_dedup")
class VideoNearDedup(BarrierOp):
    """Drop videos whose frames are mostly found, in order, in another video: ``min_overlap``
    of the shorter one's frame hashes (``hash_fps`` per second, dHash) lie within
    ``max_distance`` bits of the other's frames at one time offset (give or take one hashed
    frame). A trimmed copy is its source shifted by the trim, a re-encode matches frame for
    frame; two clips that share a scene but not its motion match at scattered offsets.
    Clusters by union-find; the longest video survives (ties: the first in input order).

    Rejects: ``near_duplicate`` (the survivor's id and the overlap in the detail),
    ``unhashable_video``.

    Args:
        hash_fps: frames hashed per second of video
        max_distance: most differing bits for two frames to match
        min_overlap: share of the shorter video's frames that must match the other's
    """

    reads = ("videos",)

    def __init__(
        self, hash_fps: float = 2.0, max_distance: int = 10, min_overlap: float = 0.8
    ) -> None:
        self.hash_fps = hash_fps
        self.max_distance = max_distance
        self.min_overlap = min_overlap
        self._dropped: dict[str, str] = {}
        self._errors: dict[str, str] = {}

    def fit(self, samples: Iterable[Sample]) -> None:
        ids: list[str] = []
        durations: list[float] = []
        hashes: list[int] = []
        owner: list[int] = []
        for sample in samples:
            if not sample.videos:
                continue
            ref = sample.videos[0]
            try:
                seq = frame_hashes(ref.path, self.hash_fps, float(ref.fps or 0))
            except (VideoRejected, OSError) as exc:
                self._errors[sample.id] = str(exc)[:200]
                continue
            if not seq:
                self._errors[sample.id] = "no frame could be hashed"
                continue
            hashes += seq
            owner += [len(ids)] * len(seq)
            ids.append(sample.id)
            durations.append(float(ref.duration or len(seq)))
        if not ids:
            return
        counts = Counter(owner)
        first = {k: owner.index(k) for k in counts}  # where each video's hashes start
        a, b = frame_pairs(np.array(hashes, dtype=np.uint64), self.max_distance)
        # matching frames of video i and j, by time offset (a copy keeps one offset)
        by_offset: dict[tuple[int, int], dict[int, set[int]]] = {}
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            i, j = owner[x], owner[y]
            if i == j:
                continue
            px, py = x - first[i], y - first[j]
            by_offset.setdefault((i, j), {}).setdefault(py - px, set()).add(x)
            by_offset.setdefault((j, i), {}).setdefault(px - py, set()).add(y)
        uf = UnionFind(len(ids))
        overlap: dict[tuple[int, int], float] = {}
        for (i, j), offsets in by_offset.items():
            # the best offset, one hashed frame either side (frames sampled at other instants)
            share = (
                max(
                    len(offsets.get(o - 1, set()) | offsets[o] | offsets.get(o + 1, set()))
                    for o in offsets
                )
                / counts[i]
            )
            if counts[i] <= counts[j] and share >= self.min_overlap:
                uf.union(i, j)
                overlap[(i, j)] = share
        for members in uf.groups().values():
            survivor = max(members, key=lambda k: (durations[k], -k))
            for k in members:
                if k != survivor:
                    share = overlap.get((k, survivor)) or overlap.get((survivor, k)) or 0.0
                    self._dropped[ids[k]] = (
                        f"near-duplicate of {ids[survivor]}; {share:.0%} of the shorter video's "
                        "frames match"
                    )

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.id in self._errors:
                sample.reject(self.name, "unhashable_video", self._errors[sample.id])
            elif sample.id in self._dropped:
                sample.reject(self.name, "near_duplicate", self._dropped[sample.id])
        return samples
