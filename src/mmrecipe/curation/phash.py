"""Perceptual image hashes (pHash, dHash) from a reduced-size decode, in numpy.

``imagehash`` (the usual baseline) fully decodes each JPEG, converts it in PIL and runs a scipy
DCT per image: about 200 images/s on a 640x480 JPEG on one core here. A perceptual hash only
looks at a 32x32 grey thumbnail, so we ask libjpeg for a grey image scaled by 1/2..1/8 in the DCT
domain (``Image.draft``: no full decode, no colour conversion), shrink it to a 64x64 base
thumbnail and compute every hash from that with small matrix products.

pHash is not robust to crops: cutting up to 5% off each side moves a 64-bit pHash by up to ~26
bits, as far as unrelated photos. So besides the main hash we compute **crop views**: the hashes
of the 16 crops that cut 0 or 5% off each side (``VIEW_FRACTION``). A cropped copy's main hash
lands within a few bits of one of its original's views. Measured on 256 random crops (<= 5% a
side) of 64 scikit-image photo quadrants: 99.2% within 10 bits with views (85.5% with the main
hash alone), every one within 14; the 2,016 pairs of distinct quadrants are all >= 14 bits
apart. The views cost two matrix products for all 16 (area-averaging resampling and the DCT
are folded into one matrix per side).

Bits follow imagehash's definitions (pHash: the 8x8 lowest frequencies of the unnormalized
DCT-II of a 32x32 thumbnail against their median; dHash: 8x9 horizontal gradients); values
differ slightly because the thumbnail is resampled differently.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PIL import Image

HASH_SIZE = 8
_SIDE = 32  # pHash's thumbnail side
_BASE = 64  # the base thumbnail every view is resampled from
#: how much a crop view cuts off a side
VIEW_FRACTION = 0.05
#: (left, right, top, bottom) cut of each view; view 0 is the whole image (the main hash)
VIEW_CUTS: tuple[tuple[float, float, float, float], ...] = tuple(
    itertools.product((0.0, VIEW_FRACTION), repeat=4)
)
_WEIGHTS = (1 << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def _dct_matrix(n: int, k: int) -> np.ndarray:
    """The ``k`` lowest rows of the unnormalized DCT-II (``scipy.fftpack.dct``, imagehash's)."""
    freq = np.arange(k)[:, None]
    x = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * (2 * x + 1) * freq / (2 * n))


def _area_matrix(n_in: int, n_out: int, start: float, stop: float) -> np.ndarray:
    """Resample the span [start, stop) of ``n_in`` pixels to ``n_out`` by area averaging."""
    edges = start + (stop - start) * np.arange(n_out + 1) / n_out
    lo, hi = edges[:-1, None], edges[1:, None]
    pix = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, pix + 1) - np.maximum(lo, pix), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


_CUTS = (0.0, VIEW_FRACTION)


def _side_matrices(transform: np.ndarray, n_out: int) -> np.ndarray:
    """For each (near cut, far cut) pair: ``transform @ resample``, stacked row-wise."""
    mats = []
    for near, far in itertools.product(_CUTS, repeat=2):
        mats.append(transform @ _area_matrix(_BASE, n_out, near * _BASE, _BASE - far * _BASE))
    return np.vstack(mats)


_P_SIDE = _side_matrices(_dct_matrix(_SIDE, HASH_SIZE), _SIDE)  # (4*8, 64)
_D_ROWS = _side_matrices(np.eye(HASH_SIZE), HASH_SIZE)  # (4*8, 64)
_D_COLS = _side_matrices(np.eye(HASH_SIZE + 1), HASH_SIZE + 1)  # (4*9, 64)


def open_draft(source: str | Path | Image.Image) -> Image.Image:
    """A grey image from ``source``; a JPEG not yet loaded is decoded at reduced scale."""
    im = source if isinstance(source, Image.Image) else Image.open(source)
    if im.format == "JPEG":  # effective only before load(): libjpeg scales in the DCT domain
        im.draft("L", (_SIDE, _SIDE))  # 640x480 -> 80x60
    if im.mode != "L":
        im = im.convert("L")
    return im


def base_thumbnail(grey: Image.Image) -> np.ndarray:
    """The 64x64 float thumbnail every hash is computed from."""
    return np.asarray(grey.resize((_BASE, _BASE), Image.Resampling.BILINEAR), dtype=np.float64)


def _pack(bits: np.ndarray) -> np.ndarray:
    """(..., 8, 8) booleans to uint64, row-major, first bit most significant."""
    flat = bits.reshape(*bits.shape[:-2], 64).astype(np.uint64)
    return (flat * _WEIGHTS).sum(axis=-1, dtype=np.uint64)


def phash_views(thumb: np.ndarray) -> np.ndarray:
    """pHash of every crop view (``VIEW_CUTS`` order), as uint64; element 0 is the main hash."""
    # rows: (top, bottom) cut pairs, columns: (left, right): 4x4 blocks of 8x8 coefficients
    low = (_P_SIDE @ thumb @ _P_SIDE.T).reshape(4, 8, 4, 8).transpose(0, 2, 1, 3)
    med = np.median(low.reshape(4, 4, 64), axis=-1)[..., None, None]
    bits = low > med  # [tb, lr]
    # VIEW_CUTS order is (left, right, top, bottom): index lr * 4 + tb
    return _pack(bits.transpose(1, 0, 2, 3)).reshape(16)


def dhash_views(thumb: np.ndarray) -> np.ndarray:
    """dHash of every crop view (``VIEW_CUTS`` order), as uint64."""
    small = (_D_ROWS @ thumb @ _D_COLS.T).reshape(4, 8, 4, 9).transpose(0, 2, 1, 3)
    bits = small[..., 1:] > small[..., :-1]
    return _pack(bits.transpose(1, 0, 2, 3)).reshape(16)


def image_hashes(source: str | Path | Image.Image, kind: str = "phash") -> list[str]:
    """The main hash and the 15 crop views of one image as 16-hex-digit strings."""
    thumb = base_thumbnail(open_draft(source))
    views = phash_views(thumb) if kind == "phash" else dhash_views(thumb)
    return [f"{int(v):016x}" for v in views]


def hex_to_uint64(values: list[str]) -> np.ndarray:
    """16-hex-digit hash strings to a uint64 array."""
    return np.array([int(v, 16) for v in values], dtype=np.uint64)
