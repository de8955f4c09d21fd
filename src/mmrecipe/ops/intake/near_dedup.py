"""Near-duplicate removal (HoneyPipe): images by perceptual hash, instructions by MinHash or
SimHash, and the pair rule that needs both."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from mmrecipe.curation.hamming import UnionFind, radius_pairs, self_pairs
from mmrecipe.curation.phash import image_hashes
from mmrecipe.curation.textsim import MinHasher, jaccard_estimate, minhash_pairs, simhash
from mmrecipe.curation.turns import instruction_of
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import BarrierOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@dataclass
class _Entry:
    id: str
    pixels: int
    views: np.ndarray | None  # uint64[16]: main hash, then the crop views
    text: str
    error: str | None = None
    #: the first image's path (named in the reject of a sample it survives)
    image: str = ""


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> list[str]:
    """The numbers of a text, in order ("radius 6, chord 6" -> ["6", "6"])."""
    return _NUMBER.findall(text)


@register_op("near_dedup")
class NearDedup(BarrierOp):
    """Drops near-duplicates and keeps one survivor per cluster: the sample with the most
    pixels, ties to the first in input order.

    ``mode: pair`` is HoneyPipe's rule: a sample is a duplicate only when its (first) image AND
    its instruction are near-duplicates of another's, so the same image with a new question is
    new data. ``image`` and ``text`` use one side alone. Images match when their perceptual
    hashes (or a crop view of one against the other's hash, so crops of <= 5% a side match)
    are within ``max_distance`` bits; near-duplicate images form clusters by union-find.
    Instructions (``fields.instruction``, else every user turn) match by MinHash Jaccard of character 5-grams >=
    ``text_threshold`` (LSH-banded) or SimHash distance <= ``simhash_max_distance``.
    Hashes stored by ``image_intake(perceptual_hash=...)`` are used; otherwise the image is
    decoded here at reduced size. Rejects: ``near_duplicate`` (the survivor's id, the image
    distance and instruction similarity in the detail), ``unhashable_image``.

    Args:
        mode: pair (image AND instruction), image, or text
        image_hash: phash or dhash (64 bits)
        max_distance: most differing hash bits for near-duplicate images (10: every measured
            resize/recompress/crop/brightness variant, no two distinct photos)
        crop_views: also match crop views (crops up to 5% a side)
        text_method: minhash (Jaccard of word 3-grams) or simhash (64-bit, Hamming)
        text_threshold: lowest estimated Jaccard similarity of near-duplicate instructions
        simhash_max_distance: most differing SimHash bits of near-duplicate instructions
        num_perm: MinHash permutations
        ngram: characters per shingle
        search: auto (exact all pairs when small, LSH when large), exact, or lsh
        seed: seed of the MinHash family and the LSH tables
        numbers_must_match: instructions whose numbers differ are different questions (a
            geometry template with radius 6 and with radius 15), whatever their similarity
    """

    reads = ("images", "messages")
    writes = ()

    def __init__(
        self,
        mode: Literal["pair", "image", "text"] = "pair",
        image_hash: Literal["phash", "dhash"] = "phash",
        max_distance: int = 10,
        crop_views: bool = True,
        text_method: Literal["minhash", "simhash"] = "minhash",
        text_threshold: float = 0.7,
        simhash_max_distance: int = 3,
        num_perm: int = 128,
        ngram: int = 5,
        search: Literal["auto", "exact", "lsh"] = "auto",
        seed: int = 0,
        numbers_must_match: bool = True,
    ) -> None:
        if not 0 <= max_distance < 32:
            raise ConfigError(f"near_dedup: max_distance must be in 0..31, got {max_distance}")
        if not 0.0 < text_threshold <= 1.0:
            raise ConfigError(f"near_dedup: text_threshold must be in (0, 1], got {text_threshold}")
        self.mode = mode
        self.image_hash = image_hash
        self.max_distance = max_distance
        self.crop_views = crop_views
        self.text_method = text_method
        self.text_threshold = text_threshold
        self.simhash_max_distance = simhash_max_distance
        self.ngram = ngram
        self.search = search
        self.seed = seed
        self.numbers_must_match = numbers_must_match
        self.minhasher = MinHasher(num_perm=num_perm, ngram=ngram, seed=seed + 1)
        # what must exist: the images and/or the conversation, by mode; a stored hash
        # (fields.<image_hash>, from image_intake) and fields.instruction are used when present
        self.reads = {
            "image": ("images",),
            "text": ("messages",),
            "pair": ("images", "messages"),
        }[mode]
        #: sample id -> (survivor id, detail)
        self._dropped: dict[str, str] = {}
        self._errors: dict[str, str] = {}

    # fitting -----------------------------------------------------------------------------
    def _views(self, sample: Sample) -> tuple[np.ndarray | None, int, str | None]:
        pixels = sum((r.width or 0) * (r.height or 0) for r in sample.images)
        if not sample.images:
            return None, 0, None
        stored = sample.fields.get(self.image_hash)
        if isinstance(stored, list) and stored and isinstance(stored[0], list):
            hexes = stored[0]
        else:
            try:
                with Image.open(sample.images[0].path) as im:
                    if not pixels:
                        pixels = im.size[0] * im.size[1]
                    hexes = image_hashes(im, self.image_hash)
            except Exception as exc:
                return None, 0, f"{sample.images[0].path}: {exc}"
        try:
            views = np.array([int(h, 16) for h in hexes], dtype=np.uint64)
        except (TypeError, ValueError):
            return None, 0, f"fields.{self.image_hash} holds no hex hashes"
        return views, pixels, None

    def fit(self, samples: Iterable[Sample]) -> None:
        entries: list[_Entry] = []
        for sample in samples:
            views, pixels, error = (None, 0, None)
            if self.mode != "text":
                views, pixels, error = self._views(sample)
            else:
                pixels = sum((r.width or 0) * (r.height or 0) for r in sample.images)
            text = instruction_of(sample) if self.mode != "image" else ""
            image = str(sample.images[0].path) if sample.images else ""
            entries.append(_Entry(sample.id, pixels, views, text, error, image))
        self._errors = {e.id: e.error for e in entries if e.error}
        uf = UnionFind(len(entries))
        if self.mode == "text":
            for i, j in self._text_pairs(entries, list(range(len(entries)))):
                uf.union(i, j)
        else:
            image_uf = self._image_clusters(entries)
            if self.mode == "image":
                uf = image_uf
            else:
                for members in image_uf.groups().values():
                    for i, j in self._text_pairs(entries, members):
                        uf.union(i, j)
        self._dropped = {}
        for members in uf.groups().values():
            survivor = max(members, key=lambda i: (entries[i].pixels, -i))
            for i in members:
                if i != survivor:
                    self._dropped[entries[i].id] = self._detail(entries, i, survivor)

    def _image_clusters(self, entries: list[_Entry]) -> UnionFind:
        uf = UnionFind(len(entries))
        have = [i for i, e in enumerate(entries) if e.views is not None]
        if not have:
            return uf
        views = np.stack([entries[i].views for i in have])  # type: ignore[misc]
        main = views[:, 0]
        if self.crop_views:
            q, x, _ = radius_pairs(
                views.reshape(-1), main, self.max_distance, method=self.search, seed=self.seed
            )
            owner = q // views.shape[1]
        else:
            owner, x, _ = self_pairs(main, self.max_distance, method=self.search, seed=self.seed)
        for a, b in zip(owner.tolist(), x.tolist(), strict=True):
            if a != b:
                uf.union(have[a], have[b])
        return uf

    def _text_pairs(self, entries: list[_Entry], members: list[int]) -> list[tuple[int, int]]:
        texts = [entries[i].text for i in members]
        if self.text_method == "simhash":
            hashes = np.array([simhash(t, self.ngram) for t in texts], dtype=np.uint64)
            a, b, _ = self_pairs(hashes, self.simhash_max_distance, seed=self.seed)
            pairs = list(zip(a.tolist(), b.tolist(), strict=True))
        else:
            sigs = [self.minhasher.signature(t) for t in texts]
            pairs = [(a, b) for a, b, _ in minhash_pairs(sigs, self.text_threshold)]
        if self.numbers_must_match:
            numbers = [numbers_in(t) for t in texts]
            pairs = [(a, b) for a, b in pairs if numbers[a] == numbers[b]]
        return [(members[a], members[b]) for a, b in pairs]

    def _detail(self, entries: list[_Entry], i: int, survivor: int) -> str:
        a, b = entries[i], entries[survivor]
        parts = [f"near-duplicate of {b.id}" + (f" (image {b.image})" if b.image else "")]
        if a.views is not None and b.views is not None:
            if self.crop_views:
                dist = min(
                    int(np.bitwise_count(a.views ^ b.views[0]).min()),
                    int(np.bitwise_count(a.views[0] ^ b.views).min()),
                )
            else:
                dist = int(np.bitwise_count(a.views[0] ^ b.views[0]))
            parts.append(f"image distance {dist} bits ({self.image_hash})")
        if self.mode != "image":
            if self.text_method == "simhash":
                dist = int(
                    np.bitwise_count(
                        np.uint64(simhash(a.text, self.ngram) ^ simhash(b.text, self.ngram))
                    )
                )
                parts.append(f"instruction simhash distance {dist} bits")
            else:
                sim = jaccard_estimate(
                    self.minhasher.signature(a.text), self.minhasher.signature(b.text)
                )
                parts.append(f"instruction similarity {sim:.2f}")
        return "; ".join(parts)

    # applying ----------------------------------------------------------------------------
    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.id in self._errors:
                sample.reject(self.name, "unhashable_image", self._errors[sample.id])
            elif sample.id in self._dropped:
                sample.reject(self.name, "near_duplicate", self._dropped[sample.id])
        return samples
