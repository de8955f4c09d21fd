"""Near-duplicate text: MinHash signatures with LSH banding, and 64-bit SimHash.

Both work on character n-gram shingles of normalized text (lower case, punctuation dropped, the
``<image>`` placeholder removed), hashed with CRC32 (deterministic across processes, unlike
Python's salted ``hash``). MinHash estimates Jaccard similarity of the shingle sets; LSH banding
(``bands`` x ``rows``) makes pairs above roughly (1/bands)^(1/rows) meet in a bucket, and every
candidate is verified against the threshold on the full signature. SimHash is a 64-bit
fingerprint compared by Hamming distance (Manku et al.: 3 of 64 bits for web pages), searched
with :mod:`mmrecipe.curation.hamming`.

Own numpy code instead of ``datasketch``: one vectorized pass per document (a universal
multiply-shift hash family over all shingles at once) against datasketch's per-shingle
``update``; ``benchmarks/near_dedup.py`` measures both, docs/s and recall, in one run.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_MASK32 = np.uint64(0xFFFFFFFF)


def words(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` without the ``<image>`` placeholder."""
    return _WORD.findall(text.replace("<image>", " ").lower())


def shingle_hashes(text: str, n: int = 5) -> np.ndarray:
    """CRC32 of each character ``n``-gram of the normalized text (words joined by one space).

    Character grams rather than word grams: instructions are short, and one changed word of a
    ten-word question breaks 3 of 8 word trigrams but only ~n of ~50 character n-grams."""
    norm = " ".join(words(text))
    grams = [norm[i : i + n] for i in range(len(norm) - n + 1)] if len(norm) > n else [norm]
    return np.array(sorted({zlib.crc32(g.encode("utf-8")) for g in grams}), dtype=np.uint64)


class MinHasher:
    """``num_perm`` MinHash values per text from one seeded multiply-shift family."""

    def __init__(self, num_perm: int = 128, ngram: int = 5, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, 1 << 63, size=num_perm, dtype=np.uint64) | np.uint64(1)
        self.b = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)
        self.ngram = ngram
        self.num_perm = num_perm

    def signature(self, text: str) -> np.ndarray:
        shingles = shingle_hashes(text, self.ngram)
        mixed = (self.a[:, None] * shingles[None, :] + self.b[:, None]) >> np.uint64(32)
        return mixed.min(axis=1)


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    """The share of equal MinHash values: an unbiased estimate of Jaccard similarity."""
    return float(np.mean(a == b))


def lsh_bands(num_perm: int, threshold: float) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm whose S-curve midpoint is just below
    ``threshold`` (so pairs at the threshold meet with high probability)."""
    best = (num_perm, 1)
    best_gap = float("inf")
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        mid = (1.0 / bands) ** (1.0 / rows)
        gap = threshold - mid
        if 0.05 <= gap < best_gap:
            best, best_gap = (bands, rows), gap
    return best


def minhash_pairs(signatures: list[np.ndarray], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs (i < j) whose estimated Jaccard similarity is >= ``threshold``, by LSH banding."""
    if not signatures:
        return []
    bands, rows = lsh_bands(len(signatures[0]), threshold)
    candidates: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for i, sig in enumerate(signatures):
            buckets[sig[band * rows : (band + 1) * rows].tobytes()].append(i)
        for members in buckets.values():
            for k, i in enumerate(members):
                for j in members[k + 1 :]:
                    candidates.add((i, j))
    out = []
    for i, j in sorted(candidates):
        sim = jaccard_estimate(signatures[i], signatures[j])
        if sim >= threshold:
            out.append((i, j, sim))
    return out


_BITS = np.uint64(1) << np.arange(64, dtype=np.uint64)


def simhash(text: str, ngram: int = 5) -> int:
    """A 64-bit SimHash of the character ``ngram`` shingles (each shingle hashed to 64 bits)."""
    shingles = shingle_hashes(text, ngram)
    wide = splitmix64(shingles)
    votes = ((wide[:, None] & _BITS[None, :]) != 0).sum(axis=0) * 2 - len(wide)
    return int((_BITS * (votes > 0)).sum(dtype=np.uint64))


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer: spreads 32-bit shingle hashes over all 64 bits."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
