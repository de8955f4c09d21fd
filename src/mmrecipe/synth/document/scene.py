"""Scene text: sign-like lines pasted, in perspective, onto flat areas of bundled photos."""

from __future__ import annotations

import math
import random
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from mmrecipe.synth.document.words import box_corners, degrade, word_record
from mmrecipe.synth.render import BOLD_FONTS, pil_font

#: scikit-image sample photos shipped inside its wheel (no download) that a sign, a label or a
#: painted word could plausibly be on (no telescope field, micrograph, coins or moon; no close-up
#: of a cat, whose face fills the frame beyond what the cat-face cascade finds)
PHOTOS = ("astronaut", "coffee", "rocket", "camera", "brick")

_SIGNS = (
    "OPEN",
    "EXIT",
    "NO PARKING",
    "CAFE",
    "SALE 50% OFF",
    "PLATFORM 3",
    "STOP",
    "PHARMACY",
    "BAKERY",
    "HOTEL",
    "WELCOME",
    "GATE B12",
    "PUSH",
    "FRESH FRUIT",
    "BUS STOP",
    "MAIN ST",
    "OPEN 24 HOURS",
    "PIZZA",
    "TICKETS",
    "ROOM 204",
)


@lru_cache(maxsize=len(PHOTOS))
def _photo(name: str) -> Image.Image:
    import skimage.data

    arr = getattr(skimage.data, name)()
    if arr.dtype != np.uint8:
        arr = (arr * 255).astype(np.uint8) if arr.max() <= 1 else arr.astype(np.uint8)
    image = Image.fromarray(arr)
    return image.convert("RGB")


#: OpenCV's bundled Haar cascades (file, scale step, min neighbours, a person's face): people's
#: faces front and side, cats' faces, eyes. Found boxes are widened by ``_FACE_MARGIN`` of their
#: size each side, since a cascade box covers the inner face only; below a person's face their
#: body is blocked too (a column three faces wide down to the bottom: the body cascades miss
#: too often to rely on).
_CASCADES = (
    ("haarcascade_frontalface_default.xml", 1.15, 4, True),
    ("haarcascade_profileface.xml", 1.15, 3, True),
    ("haarcascade_frontalcatface.xml", 1.1, 2, False),
    ("haarcascade_eye.xml", 1.15, 3, False),
)
_FACE_MARGIN = 0.6
_DETECT_SIDE = 320


@lru_cache(maxsize=len(PHOTOS))
def faces(name: str) -> tuple[tuple[float, float, float, float], ...]:
    """Boxes (x0, y0, x1, y1, widened) of the faces, eyes and people's bodies in a whole photo,
    found once per process: scene text never goes on them."""
    from mmrecipe.heavy_imports import import_heavy

    cv2 = import_heavy("cv2")  # never half-imported by another shard thread
    # one thread: OpenCV's pool would otherwise keep spinning beside the generator's own work
    cv2.setNumThreads(1)
    photo = _photo(name).convert("L")
    # detected at <= 320 px on the long side: 2-3x faster, and the faces that matter are large
    shrink = min(1.0, _DETECT_SIDE / max(photo.size))
    small = photo.resize(
        (round(photo.width * shrink), round(photo.height * shrink)), Image.Resampling.BOX
    )
    gray = np.asarray(small)
    min_side = max(12, max(gray.shape) // 16)
    boxes: list[tuple[float, float, float, float]] = []
    for file, scale, neighbours, person in _CASCADES:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + file)
        if cascade.empty():
            raise RuntimeError(f"OpenCV's Haar cascade {file} is missing (opencv-python < 5)")
        found = cascade.detectMultiScale(
            gray, scaleFactor=scale, minNeighbors=neighbours, minSize=(min_side, min_side)
        )
        for x, y, w, h in np.asarray(found, dtype=float).reshape(-1, 4) / shrink:
            m = _FACE_MARGIN
            boxes.append((x - m * w, y - m * h, x + (1 + m) * w, y + (1 + m) * h))
            if person:
                boxes.append((x - w, y, x + 2 * w, float(photo.height)))
    return tuple(boxes)


#: mean absolute gray-level step between neighbouring pixels a region may have to carry text:
#: painted or printed straight on it, or on a sign plate (a physical board hides some texture)
_FLAT_MAX = {"plain": 6.0, "plate": 14.0}


class _Surface:
    """Where text may go on one backdrop: per-pixel detail (gradient magnitude, as an integral
    image so any rectangle's mean is O(1)) and the boxes already taken (faces, placed text)."""

    def __init__(self, image: Image.Image, blocked: list[tuple[float, float, float, float]]):
        gray = np.asarray(image.convert("L"), dtype=np.int32)
        grad = np.zeros_like(gray)
        grad[:, 1:] += np.abs(np.diff(gray, axis=1))
        grad[1:, :] += np.abs(np.diff(gray, axis=0))
        self.h, self.w = gray.shape
        self._detail = _integral(grad)
        self._taken = list(blocked)

    def block(self, box: tuple[float, float, float, float]) -> None:
        """Nothing else may go on ``box`` (text placed there)."""
        self._taken.append(box)

    def spot(
        self, rng: random.Random, w: int, h: int, flat_max: float
    ) -> tuple[int, int, float] | None:
        """A random top-left corner among the flattest 5% of free places for a ``w`` x ``h``
        box (each at most ``flat_max`` detail), with its detail; None if none is flat."""
        if w + 8 > self.w or h + 8 > self.h:
            return None
        ys = np.arange(4, self.h - h - 4, 4)
        xs = np.arange(4, self.w - w - 4, 4)
        if not len(ys) or not len(xs):
            return None
        detail = _box_sums(self._detail, ys, xs, h, w) / (w * h)
        free = np.ones(detail.shape, dtype=bool)
        for x0, y0, x1, y1 in self._taken:
            free &= ~((ys[:, None] < y1) & (ys[:, None] + h > y0) & (xs < x1) & (xs + w > x0))
        ok = free & (detail <= flat_max)
        if not ok.any():
            return None
        scores = detail[ok]
        cut = np.quantile(scores, 0.05)
        cands = np.argwhere(ok & (detail <= cut))
        iy, ix = cands[rng.randrange(len(cands))]
        return int(xs[ix]), int(ys[iy]), float(detail[iy, ix])


def _integral(a: np.ndarray) -> np.ndarray:
    """Summed-area table (int64: exact) with a zero row and column in front."""
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1), dtype=np.int64)
    out[1:, 1:] = a.cumsum(0, dtype=np.int64).cumsum(1)
    return out


def _box_sums(ii: np.ndarray, ys: np.ndarray, xs: np.ndarray, h: int, w: int) -> np.ndarray:
    y0, x0 = ys[:, None], xs[None, :]
    return ii[y0 + h, x0 + w] - ii[y0, x0 + w] - ii[y0 + h, x0] + ii[y0, x0]


def _homography(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> np.ndarray:
    """The 3x3 projective map sending the four ``src`` points to the four ``dst`` points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.asarray(rows, dtype=np.float64), np.asarray(rhs, dtype=np.float64))
    return np.append(h, 1.0).reshape(3, 3)


def _apply(hmat: np.ndarray, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for x, y in points:
        u, v, w = hmat @ np.array([x, y, 1.0])
        out.append((float(u / w), float(v / w)))
    return out


def _sign_quad(
    tw: int, th: int, angle: float, keystone: float, turn: int
) -> tuple[list[tuple[float, float]], tuple[int, int]]:
    """Where the corners of a ``tw`` x ``th`` sign land when it is turned away from the camera
    (one vertical edge shorter by ``keystone``, on the left or right by ``turn``) and rotated
    by ``angle`` degrees counter-clockwise; the quad is shifted to start at (0, 0)."""
    hw, hh = tw / 2, th / 2
    near, far = (1.0, 1.0 - keystone) if turn > 0 else (1.0 - keystone, 1.0)
    squeeze = 1.0 - keystone / 2
    pts = [
        (-hw * squeeze, -hh * near),
        (hw * squeeze, -hh * far),
        (hw * squeeze, hh * far),
        (-hw * squeeze, hh * near),
    ]
    rad = math.radians(angle)
    c, s = math.cos(rad), math.sin(rad)
    pts = [(c * x + s * y, -s * x + c * y) for x, y in pts]
    x_min, y_min = min(p[0] for p in pts), min(p[1] for p in pts)
    pts = [(x - x_min + 1, y - y_min + 1) for x, y in pts]
    size = (math.ceil(max(p[0] for p in pts)) + 2, math.ceil(max(p[1] for p in pts)) + 2)
    return pts, size


def make_scene(rng: random.Random, difficulty: int) -> tuple[Image.Image, dict[str, Any]]:
    """Signs and painted words on a photo: on flat, low-detail regions (never on a face), at a
    sign's scale for the frame, turned in perspective and rotated with the difficulty."""
    for _attempt in range(8):
        made = _try_scene(rng, difficulty, _FLAT_MAX)
        if made is not None:
            return made
    # never seen with the bundled photos; kept so a sample is always made (still never on a face)
    made = _try_scene(rng, difficulty, {"plain": math.inf, "plate": math.inf})
    assert made is not None
    return made


def _try_scene(
    rng: random.Random, difficulty: int, flat_max: dict[str, float]
) -> tuple[Image.Image, dict[str, Any]] | None:
    name = rng.choice(PHOTOS)
    photo = _photo(name)
    side = rng.choice([384, 448, 512])
    crop = min(photo.width, photo.height, rng.randint(300, 700))
    x0 = rng.randint(0, photo.width - crop)
    y0 = rng.randint(0, photo.height - crop)
    scale = side / crop
    image = photo.crop((x0, y0, x0 + crop, y0 + crop)).resize(
        (side, side), Image.Resampling.BILINEAR
    )
    blocked = [
        ((fx0 - x0) * scale, (fy0 - y0) * scale, (fx1 - x0) * scale, (fy1 - y0) * scale)
        for fx0, fy0, fx1, fy1 in faces(name)
    ]
    surface = _Surface(image, blocked)
    n_lines = {1: 1, 2: rng.randint(1, 2), 3: rng.randint(2, 3)}[difficulty]
    max_angle = {1: 0.0, 2: 6.0, 3: 12.0}[difficulty]
    max_keystone = {1: 0.0, 2: 0.15, 3: 0.3}[difficulty]
    signs: list[tuple[tuple[int, int, int, int], str, list[Any]]] = []
    for _ in range(n_lines):
        text = rng.choice(_SIGNS)
        # a sign spans a quarter to a half of the frame's width at difficulty 1, less later
        size = int(
            side * rng.uniform(*{1: (0.07, 0.1), 2: (0.055, 0.08), 3: (0.04, 0.065)}[difficulty])
        )
        font_name = rng.choice((*BOLD_FONTS, "sans", "serif"))
        angle = round(rng.uniform(-max_angle, max_angle), 2)
        keystone = round(rng.uniform(0, max_keystone), 3)
        turn = rng.choice((-1, 1))
        plate = difficulty == 1 or rng.random() < 0.5
        while size >= 14:
            font = pil_font(font_name, size)
            pad = size // 3
            tw = int(font.getlength(text)) + 2 * pad
            th = int(size * 1.4) + 2 * pad
            quad, (qw, qh) = _sign_quad(tw, th, angle, keystone, turn)
            found = surface.spot(rng, qw, qh, flat_max["plate" if plate else "plain"])
            if found is not None:
                break
            size = int(size * 0.85)
        else:
            continue
        px, py, _detail = found
        region = np.asarray(image.crop((px, py, px + qw, py + qh)))
        layer = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
        ldraw = ImageDraw.Draw(layer)
        if plate:
            fill = rng.choice([(200, 30, 30), (20, 60, 150), (20, 110, 50), (240, 240, 235)])
            ldraw.rounded_rectangle([0, 0, tw - 1, th - 1], radius=pad, fill=(*fill, 235))
            color = (20, 20, 20) if sum(fill) > 600 else (255, 255, 255)
        else:
            color = (250, 250, 250) if region.mean() < 128 else (15, 15, 15)
        stroke = (0, 0, 0) if color[0] > 128 else (255, 255, 255)
        stroke_w = 0 if plate else max(1, size // 18)
        boxes = []
        x = float(pad)
        for word in text.split():
            ldraw.text(
                (x, pad), word, font=font, fill=color, stroke_width=stroke_w, stroke_fill=stroke
            )
            boxes.append((word, ldraw.textbbox((x, pad), word, font=font)))
            x += font.getlength(word + " ")
        corners = box_corners((0, 0, tw, th))
        forward = _homography(corners, quad)
        backward = _homography(quad, corners)
        coeffs = tuple((backward / backward[2, 2]).flatten()[:8])
        warped = layer.transform(
            (qw, qh), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC
        )
        image.paste(warped, (px, py), warped)
        rect = (px, py, px + qw, py + qh)
        surface.block(rect)
        quads = [(word, _apply(forward, box_corners(box))) for word, box in boxes]
        signs.append((rect, text, [(w, [(qx + px, qy + py) for qx, qy in q]) for w, q in quads]))
    if not signs:
        return None
    # reading order: top to bottom, then left to right
    signs.sort(key=lambda s: (s[0][1], s[0][0]))
    lines: list[str] = []
    words_out: list[dict[str, Any]] = []
    for k, (_rect, text, quads) in enumerate(signs):
        lines.append(text)
        words_out += [word_record(word, quad, k) for word, quad in quads]
    blur = {1: 0.0, 2: round(rng.uniform(0.0, 0.6), 2), 3: round(rng.uniform(0.4, 1.2), 2)}
    noise = {1: 0.0, 2: 0.0, 3: 6.0}[difficulty]
    image = degrade(image, rng, blur[difficulty], noise)
    gt = {
        "mode": "scene",
        "photo": name,
        "lines": lines,
        "fields": {},
        "words": words_out,
        "render": {
            "blur": blur[difficulty],
            "noise": noise,
            "max_angle": max_angle,
            "max_keystone": max_keystone,
            "faces_avoided": len(blocked),
            # the photo's square (x0, y0, side) scaled to the image: where faces map to
            "crop": [x0, y0, crop],
        },
    }
    return image, gt
