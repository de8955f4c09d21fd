"""Where text may go on a photo: flat, low-detail, face-free, readable, in the region's plane.

A placement is proposed at random (position and size) and checked, cheapest test first; the
first failed test is its reject reason, counted so a run can report why text did not land:

- ``out_of_frame``: the text is larger than the image, or its quad (once turned to the
  region's perspective) leaves it
- ``face``: it overlaps a face, an eye or a person's body below a face (OpenCV's Haar cascades,
  boxes widened: a cascade box covers the inner face only)
- ``object``: it overlaps a box the recipe asked to avoid (a detector's people and animals,
  from ``detect_objects``: the Haar cascades miss turned faces and whole bodies)
- ``overlap``: it overlaps text placed before
- ``textured``: the box and a margin of a third of its height around it are not flat: their
  mean gradient magnitude (gray-level step between neighbours) is above ``max_detail``, or the
  share of edge pixels (step over 24 levels) above ``max_edge_density`` (integral images, so
  O(1) per proposal). Measured on scikit-image's photos: clear sky 0.0 edge share, a garage
  floor 0.036, a wood table 0.12, brick 0.11-0.15, a cat's fur 0.09, printed text 0.25.
- ``low_contrast``: the text colour against the region's mean colour is below
  ``min_contrast`` (WCAG 2 contrast ratio, 1 to 21)

An accepted region gets the perspective of its surroundings: the dominant edge direction in the
strips just above and just below it (structure tensor of the gradients, used when coherent) sets
the slope of the text's top and bottom edges, so text on a wall seen at an angle converges like
the wall's own lines. No depth or plane estimate beyond that (TextSSR and SynthText use a
depth/segmentation model; here nothing but the image).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

REASONS = ("out_of_frame", "face", "object", "overlap", "textured", "low_contrast")

Box = tuple[float, float, float, float]

#: OpenCV's bundled Haar cascades (file, scale step, min neighbours, whether the body below the
#: face is blocked too: a column three faces wide down to the bottom of the image)
_CASCADES = (
    ("haarcascade_frontalface_default.xml", 1.15, 4, True),
    ("haarcascade_profileface.xml", 1.15, 3, True),
    ("haarcascade_frontalcatface.xml", 1.1, 2, True),
    ("haarcascade_eye.xml", 1.15, 3, False),
)
_FACE_MARGIN = 0.6
_DETECT_SIDE = 320
#: perspective is taken from the surroundings only when their edges agree this much (0..1)
_MIN_COHERENCE = 0.6
#: a gray-level step between neighbours this large is an edge pixel
EDGE_STEP = 24
_MAX_SLANT_DEG = 20.0


def find_faces(image: Image.Image) -> list[Box]:
    """Widened boxes of faces, eyes and people's bodies below a face (never written on)."""
    import cv2

    cv2.setNumThreads(1)
    gray_im = image.convert("L")
    shrink = min(1.0, _DETECT_SIDE / max(gray_im.size))
    small = gray_im.resize(
        (max(1, round(gray_im.width * shrink)), max(1, round(gray_im.height * shrink))),
        Image.Resampling.BOX,
    )
    gray = np.asarray(small)
    min_side = max(12, max(gray.shape) // 16)
    boxes: list[Box] = []
    for file, scale, neighbours, person in _CASCADES:
        cascade = _cascade(file)
        found = cascade.detectMultiScale(
            gray, scaleFactor=scale, minNeighbors=neighbours, minSize=(min_side, min_side)
        )
        for x, y, w, h in np.asarray(found, dtype=float).reshape(-1, 4) / shrink:
            m = _FACE_MARGIN
            boxes.append((x - m * w, y - m * h, x + (1 + m) * w, y + (1 + m) * h))
            if person:
                boxes.append((x - w, y, x + 2 * w, float(image.height)))
    return boxes


@lru_cache(maxsize=len(_CASCADES))
def _cascade(file: str):  # type: ignore[no-untyped-def]
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + file)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's Haar cascade {file} is missing (opencv-python < 5)")
    return cascade


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1: same luminance, 21: black on white)."""

    def lum(c: tuple[float, float, float]) -> float:
        lin = [(v / 255) / 12.92 if v <= 10.31 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass
class Region:
    """An accepted placement: the box, its measured detail and colour, its perspective."""

    box: tuple[int, int, int, int]
    detail: float
    mean_rgb: tuple[float, float, float]
    angle_top: float
    angle_bottom: float
    coherence: float


class Surface:
    """One photo's placement state: detail and colour integral images, blocked boxes, and
    the count of rejected proposals by reason."""

    def __init__(
        self, image: Image.Image, faces: list[Box], objects: list[Box] | None = None
    ) -> None:
        rgb = np.asarray(image.convert("RGB"), dtype=np.int64)
        gray = np.asarray(image.convert("L"), dtype=np.float64)
        gx = np.zeros_like(gray)
        gy = np.zeros_like(gray)
        gx[:, 1:] = np.diff(gray, axis=1)
        gy[1:, :] = np.diff(gray, axis=0)
        self._gx, self._gy = gx, gy
        self.h, self.w = gray.shape
        magnitude = np.abs(gx) + np.abs(gy)
        self._detail = _integral(magnitude)
        self._edges = _integral((magnitude > EDGE_STEP).astype(np.float64))
        self._color = [_integral(rgb[..., c].astype(np.float64)) for c in range(3)]
        self.faces = list(faces)
        self.objects = list(objects or [])
        self.placed: list[Box] = []
        self.rejects: Counter[str] = Counter()

    def detail(self, box: tuple[int, int, int, int]) -> float:
        x0, y0, x1, y1 = box
        return _box_sum(self._detail, x0, y0, x1, y1) / max(1, (x1 - x0) * (y1 - y0))

    def edge_density(self, box: tuple[int, int, int, int]) -> float:
        x0, y0, x1, y1 = box
        return _box_sum(self._edges, x0, y0, x1, y1) / max(1, (x1 - x0) * (y1 - y0))

    def mean_rgb(self, box: tuple[int, int, int, int]) -> tuple[float, float, float]:
        x0, y0, x1, y1 = box
        area = max(1, (x1 - x0) * (y1 - y0))
        r, g, b = (_box_sum(ii, x0, y0, x1, y1) / area for ii in self._color)
        return (r, g, b)

    def propose(
        self,
        rng: random.Random,
        w: int,
        h: int,
        max_detail: float,
        max_edge_density: float,
        min_contrast: float,
        colors: list[tuple[int, int, int]],
        tries: int,
    ) -> tuple[Region, tuple[int, int, int]] | None:
        """Up to ``tries`` random proposals for a ``w`` x ``h`` box, each with a random colour
        of ``colors``; the first that passes every check, or None. Rejects are counted."""
        margin = 4
        if w + 2 * margin > self.w or h + 2 * margin > self.h:
            self.rejects["out_of_frame"] += 1
            return None
        for _ in range(tries):
            x0 = rng.randint(margin, self.w - w - margin)
            y0 = rng.randint(margin, self.h - h - margin)
            color = rng.choice(colors)
            box = (x0, y0, x0 + w, y0 + h)
            reason = self._check(box, margin, max_detail, max_edge_density, min_contrast, color)
            if reason is not None:
                self.rejects[reason] += 1
                continue
            top, bottom, coherence = self._perspective(box)
            region = Region(box, self.detail(box), self.mean_rgb(box), top, bottom, coherence)
            return region, color
        return None

    def block(self, box: Box) -> None:
        self.placed.append(box)

    def _check(
        self,
        box: tuple[int, int, int, int],
        margin: int,
        max_detail: float,
        max_edge_density: float,
        min_contrast: float,
        color: tuple[int, int, int],
    ) -> str | None:
        x0, y0, x1, y1 = box
        if x0 < margin or y0 < margin or x1 > self.w - margin or y1 > self.h - margin:
            return "out_of_frame"
        if any(_overlaps(box, f) for f in self.faces):
            return "face"
        if any(_overlaps(box, o) for o in self.objects):
            return "object"
        if any(_overlaps(box, p) for p in self.placed):
            return "overlap"
        pad = (y1 - y0) // 3
        around = (max(0, x0 - pad), max(0, y0 - pad), min(self.w, x1 + pad), min(self.h, y1 + pad))
        if self.detail(around) > max_detail or self.edge_density(around) > max_edge_density:
            return "textured"
        if contrast_ratio(color, self.mean_rgb(box)) < min_contrast:
            return "low_contrast"
        return None

    def _perspective(self, box: tuple[int, int, int, int]) -> tuple[float, float, float]:
        """Slopes (degrees, counter-clockwise) for the text's top and bottom edges from the
        dominant near-horizontal edges in the strips above and below the box; 0 where the
        strips have no coherent direction."""
        x0, y0, x1, y1 = box
        band = max(6, (y1 - y0) // 2)
        top = self._edge_angle(x0, max(0, y0 - band), x1, y0 + band // 2)
        bottom = self._edge_angle(x0, y1 - band // 2, x1, min(self.h, y1 + band))
        coherence = min(top[1], bottom[1])
        if coherence < _MIN_COHERENCE:  # one side has no straight edge: keep the text level
            return 0.0, 0.0, round(coherence, 3)
        return round(top[0], 2), round(bottom[0], 2), round(coherence, 3)

    def _edge_angle(self, x0: int, y0: int, x1: int, y1: int) -> tuple[float, float]:
        gx = self._gx[y0:y1, x0:x1]
        gy = self._gy[y0:y1, x0:x1]
        jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
        total = jxx + jyy
        if total < 1e-6:
            return 0.0, 0.0
        coherence = math.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / total
        # gradient direction; edges run perpendicular to it (image y points down)
        theta = 0.5 * math.atan2(2 * jxy, jxx - jyy)
        edge = math.degrees(theta) + 90.0
        edge = (edge + 90.0) % 180.0 - 90.0  # -90..90, 0 = horizontal
        slope = -edge  # counter-clockwise positive, as the eye reads it
        if abs(slope) > _MAX_SLANT_DEG:
            return 0.0, 0.0  # near-vertical edges (door frames) say nothing about a baseline
        return slope, coherence


def text_quad(
    box: tuple[int, int, int, int], angle_top: float, angle_bottom: float
) -> list[tuple[float, float]]:
    """The four corners (tl, tr, br, bl) of text filling ``box`` whose top and bottom edges
    slope by the given angles (about the box's centre line), vertical sides at its ends."""
    x0, y0, x1, y1 = box
    half = (x1 - x0) / 2
    tt, tb = math.tan(math.radians(angle_top)), math.tan(math.radians(angle_bottom))
    return [
        (x0, y0 + half * tt),
        (x1, y0 - half * tt),
        (x1, y1 - half * tb),
        (x0, y1 + half * tb),
    ]


def homography(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> np.ndarray:
    """The 3x3 projective map sending the four ``src`` points to the four ``dst`` points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.asarray(rows, dtype=np.float64), np.asarray(rhs, dtype=np.float64))
    return np.append(h, 1.0).reshape(3, 3)


def apply_homography(
    hmat: np.ndarray, points: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    out = []
    for x, y in points:
        u, v, w = hmat @ np.array([x, y, 1.0])
        out.append((float(u / w), float(v / w)))
    return out


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _integral(a: np.ndarray) -> np.ndarray:
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1), dtype=np.float64)
    out[1:, 1:] = a.cumsum(0).cumsum(1)
    return out


def _box_sum(ii: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> float:
    return float(ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0])
