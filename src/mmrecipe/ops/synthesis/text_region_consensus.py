"""TextSSR-style verification: a rendered text region stays only if the recognizers read it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from mmrecipe.backends.tesseract import TesseractBackend
from mmrecipe.errors import BackendError, ConfigError
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.stats import record_usage
from mmrecipe.synth.multilingual.languages import normalize_reading, script_of, tesseract_lang
from mmrecipe.synth.multilingual.placement import homography

BUILTIN = "tesseract"
#: Tesseract page segmentation per language where another than ``psm`` reads better (measured)
DEFAULT_PSM = {"ar": 13}
#: larger images are refused before decoding (a bomb is no page)
MAX_PIXELS = 60_000_000
#: rectified crops are scaled to this height: Tesseract reads best at 20-40 px x-height
_CROP_HEIGHT = 64


@register_op("text_region_consensus")
class TextRegionConsensus(FilterOp):
    """Read every text region of ``fields.ground_truth.regions`` (its quad, rectified to a flat
    crop) with several recognizers and keep the sample only if, for every region, the share of
    recognizers whose reading equals the ground truth (NFKC, case-folded, spaces collapsed;
    within ``max_cer`` character error rate) is at least ``min_agreement`` (TextSSR keeps a
    synthesized region only when recognizers agree with its label). A failed region rejects the
    whole sample (``ocr_disagreement``, every reading in the detail): its text is in the pixels,
    so dropping it from the answer alone would teach a wrong transcription.

    Recognizers: ``tesseract`` (built in: Tesseract with the region's language data, e.g.
    ``ara`` for Arabic, page segmentation ``psm``), and names of recipe backends with the OCR
    capability (``type: tesseract``, or ``type: image_to_text`` with TrOCR or Florence-2's
    ``<OCR>``). ``recognizer_languages`` limits a recognizer to the languages it reads (TrOCR's
    printed models: English only); a region no recognizer reads is rejected as ``unverifiable``.
    Agreement per script is counted in the step's stats (``usage`` of ``ocr_agreement``).

    Args:
        recognizers: ``tesseract`` and/or OCR backend names
        min_agreement: share of the region's recognizers that must agree (0 < x <= 1)
        max_cer: character error rate a reading may have and still agree (0: exact)
        psm: Tesseract page segmentation mode for the built-in recognizer (7: one line)
        psm_by_language: per-language modes over ``psm``; default ``{ar: 13}`` (raw line:
            measured on Arabic document lines, 36 of 51 read back against 28 of 51 with 7,
            which returns nothing for some lines)
        recognizer_languages: recognizer -> the languages it may read (default: all)
        min_region_share: share of the sample's regions that must pass (1.0: every one, as
            for scene text; a long page may allow a few lines the recognizers misread, whose
            text is still right by construction: it is the legibility check that is relaxed)
    """

    reads = ("images", "fields.ground_truth")
    writes = ("fields.ocr_consensus", "scores.ocr_agreement")

    def __init__(
        self,
        recognizers: list[str] | None = None,
        min_agreement: float = 1.0,
        max_cer: float = 0.0,
        psm: int = 7,
        psm_by_language: dict[str, int] | None = None,
        recognizer_languages: dict[str, list[str]] | None = None,
        min_region_share: float = 1.0,
    ) -> None:
        self.recognizers = list(recognizers or [BUILTIN])
        if not self.recognizers or len(set(self.recognizers)) != len(self.recognizers):
            raise ConfigError("recognizers: give distinct recognizer names")
        if not 0 < min_agreement <= 1:
            raise ConfigError(f"min_agreement must be in (0, 1], got {min_agreement}")
        if not 0 <= max_cer < 1:
            raise ConfigError(f"max_cer must be in [0, 1), got {max_cer}")
        unknown = sorted(set(recognizer_languages or {}) - set(self.recognizers))
        if unknown:
            raise ConfigError(f"recognizer_languages names no recognizer here: {unknown}")
        if not 0 < min_region_share <= 1:
            raise ConfigError(f"min_region_share must be in (0, 1], got {min_region_share}")
        self.min_agreement = min_agreement
        self.min_region_share = min_region_share
        self.max_cer = max_cer
        self.psm = psm
        self.psm_by_language = dict(DEFAULT_PSM if psm_by_language is None else psm_by_language)
        for lang in self.psm_by_language:
            tesseract_lang(lang)  # an unknown language is a ConfigError
        self.recognizer_languages = {k: list(v) for k, v in (recognizer_languages or {}).items()}
        self._backends: dict[str, Any] = {}
        self._tesseracts: dict[tuple[str, int], TesseractBackend] = {}

    def setup(self, ctx: Any) -> None:
        super().setup(ctx)
        for name in self.recognizers:
            if name == BUILTIN:
                continue
            backend = ctx.backend(name)
            if "ocr" not in getattr(backend, "capabilities", frozenset()):
                raise ConfigError(f"{self.name}: backend {name!r} cannot do OCR")
            self._backends[name] = backend

    def teardown(self) -> None:
        for backend in self._tesseracts.values():
            backend.close()
        self._tesseracts.clear()

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            if sample.rejected:
                continue
            regions = (sample.fields.get("ground_truth") or {}).get("regions")
            if not isinstance(regions, list) or not regions or not sample.images:
                sample.reject(self.name, "no_text_regions", "needs fields.ground_truth.regions")
                continue
            try:
                with Image.open(sample.images[0].path) as im:
                    if im.width * im.height > MAX_PIXELS:
                        raise ValueError(f"{im.width}x{im.height} is over {MAX_PIXELS} pixels")
                    image = im.convert("RGB")
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                sample.reject(self.name, "unreadable_image", str(exc))
                continue
            try:
                results = [self._check_region(image, r) for r in regions]
            except (KeyError, TypeError, ValueError, IndexError, np.linalg.LinAlgError) as exc:
                sample.reject(self.name, "bad_text_regions", f"a region is unreadable: {exc!r}")
                continue
            sample.fields["ocr_consensus"] = results
            sample.scores["ocr_agreement"] = min(r["agreement"] for r in results)

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        results = sample.fields.get("ocr_consensus", [])
        if any(not r["readings"] for r in results):
            bad = [r["text"] for r in results if not r["readings"]]
            return "unverifiable", f"no recognizer reads the language of {bad}"
        failed = [r for r in results if r["agreement"] < self.min_agreement]
        if failed and 1 - len(failed) / len(results) < self.min_region_share - 1e-9:
            detail = [
                {"text": r["text"], "language": r["language"], "readings": r["readings"]}
                for r in failed
            ]
            return "ocr_disagreement", json.dumps(detail, ensure_ascii=False)
        return None

    def _check_region(self, image: Image.Image, region: dict[str, Any]) -> dict[str, Any]:
        lang = str(region["language"])
        if "text_quad" in region:  # the text inside a sign plate, not the plate's edges
            crop = rectify(image, region["text_quad"], region.get("text_flat_size"))
        else:
            crop = rectify(image, region["quad"], region.get("flat_size"))
        readings: dict[str, str] = {}
        for name in self.recognizers:
            allowed = self.recognizer_languages.get(name)
            if allowed is not None and lang not in allowed:
                continue
            readings[name] = self._read(name, crop, lang)
        want = normalize_reading(str(region["text"]), lang)
        agree = [
            name
            for name, got in readings.items()
            if cer(normalize_reading(got, lang), want) <= self.max_cer
        ]
        agreement = len(agree) / len(readings) if readings else 0.0
        script = script_of(lang)
        record_usage(
            "ocr_agreement",
            **{f"{script}_regions": 1, f"{script}_agreed": int(agreement >= self.min_agreement)},
        )
        return {
            "text": region["text"],
            "language": lang,
            "readings": readings,
            "agreed": agree,
            "agreement": round(agreement, 3),
        }

    def _read(self, name: str, crop: Image.Image, lang: str) -> str:
        if name == BUILTIN:
            code = tesseract_lang(lang)
            psm = self.psm_by_language.get(lang, self.psm)
            if (code, psm) not in self._tesseracts:
                self._tesseracts[(code, psm)] = _tesseract(code, psm)
            result = self._tesseracts[(code, psm)].ocr([crop])[0]
            if result.error:
                if "load" in result.error or "language" in result.error:
                    raise BackendError(
                        f"Tesseract has no {code!r} data: apt-get install "
                        f"tesseract-ocr-{code.replace('_', '-')} ({result.error})"
                    )
                return ""
            return " ".join(line.text for line in result.lines)
        backend = self._backends[name]
        if hasattr(backend, "describe"):
            return str(backend.describe([crop], "ocr")[0])
        result = backend.ocr([crop])[0]
        return "" if result.error else " ".join(line.text for line in result.lines)


def _tesseract(code: str, psm: int) -> TesseractBackend:
    from mmrecipe.backends.tesseract import find_tessdata

    tessdata = find_tessdata()
    if tessdata is not None and not (Path(tessdata) / f"{code}.traineddata").is_file():
        raise BackendError(
            f"Tesseract has no {code!r} language data in {tessdata}: apt-get install "
            f"tesseract-ocr-{code.replace('_', '-')}"
        )
    return TesseractBackend(f"consensus-{code}", lang=code, psm=psm)


def rectify(
    image: Image.Image, quad: list[list[float]], flat_size: list[int] | None = None
) -> Image.Image:
    """The region inside ``quad`` (tl, tr, br, bl) warped back to a flat rectangle, scaled to
    a readable height, with a border of its own background (recognizers want a margin)."""
    pts = [(float(x), float(y)) for x, y in quad]
    if flat_size:
        w, h = float(flat_size[0]), float(flat_size[1])
    else:
        w = max(pts[1][0] - pts[0][0], pts[2][0] - pts[3][0], 1.0)
        h = max(pts[3][1] - pts[0][1], pts[2][1] - pts[1][1], 1.0)
    scale = _CROP_HEIGHT / h
    out_w, out_h = max(8, round(w * scale)), _CROP_HEIGHT
    corners = [(0.0, 0.0), (float(out_w), 0.0), (float(out_w), float(out_h)), (0.0, float(out_h))]
    back = homography(corners, pts)
    coeffs = tuple((back / back[2, 2]).flatten()[:8])
    flat = image.transform(
        (out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC
    )
    # the margin takes the crop's own background: the median colour of its outer pixels
    arr = np.asarray(flat)
    rim = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    edge = tuple(int(v) for v in np.median(rim, axis=0))
    return ImageOps.expand(flat, border=_CROP_HEIGHT // 4, fill=edge)


def cer(got: str, want: str) -> float:
    """Character error rate: edit distance over the length of ``want``."""
    if not want:
        return 0.0 if not got else 1.0
    prev = list(range(len(got) + 1))
    for i, cw in enumerate(want, 1):
        cur = [i]
        for j, cg in enumerate(got, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (cw != cg)))
        prev = cur
    return prev[-1] / len(want)
