"""measure_motion on frames whose motion is known: shifts, zooms, rotations of a textured
scene, a small object moving, nothing moving, a cut."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mmrecipe.video.motion import histogram_similarity, measure_motion


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    rng = np.random.default_rng(3)
    blocks = rng.integers(0, 255, (40, 54, 3), dtype=np.uint8)
    big = cv2.resize(blocks, (432, 320), interpolation=cv2.INTER_NEAREST)
    return cv2.GaussianBlur(big, (5, 5), 0)


def crop(img: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
    return img[40 + dy : 280 + dy, 56 + dx : 376 + dx]


def warp(img: np.ndarray, scale: float = 1.0, angle: float = 0.0) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def test_camera_pan_is_opposite_to_the_content(scene: np.ndarray) -> None:
    # the view moves right over the scene: the content slides left
    m = measure_motion(crop(scene), crop(scene, dx=6))
    assert (m.kind, m.direction) == ("camera_pan", "right")
    assert -7 < m.dx < -3  # DIS under-estimates a little; the sign and size are right
    m = measure_motion(crop(scene), crop(scene, dy=-6))
    assert (m.kind, m.direction) == ("camera_pan", "up")


def test_zoom_and_rotation(scene: np.ndarray) -> None:
    base = crop(scene)
    m = measure_motion(base, warp(base, scale=1.08))
    assert (m.kind, m.direction) == ("camera_zoom", "in") and m.scale == pytest.approx(
        1.08, abs=0.02
    )
    assert measure_motion(base, warp(base, scale=0.92)).direction == "out"
    m = measure_motion(base, warp(base, angle=-4))  # OpenCV: positive angles turn anticlockwise
    assert (m.kind, m.direction) == ("camera_rotation", "clockwise")
    assert measure_motion(base, warp(base, angle=4)).direction == "counterclockwise"


def test_object_motion_and_static(scene: np.ndarray) -> None:
    base = crop(scene).copy()
    patch = np.full((30, 30, 3), 240, np.uint8)
    patch[10:20, 10:20] = 20
    a, b = base.copy(), base.copy()
    a[100:130, 100:130] = patch
    b[100:130, 106:136] = patch
    m = measure_motion(a, b)
    assert (m.kind, m.direction) == ("object_motion", "right") and m.moving_fraction < 0.2
    assert measure_motion(base, base.copy()).kind == "static"


def test_cut_has_low_histogram_similarity(scene: np.ndarray) -> None:
    other = np.zeros_like(crop(scene))
    other[..., 0] = 200
    assert histogram_similarity(crop(scene), crop(scene, dx=4)) > 0.9
    assert histogram_similarity(crop(scene), other) < 0.5
