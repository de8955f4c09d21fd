"""OCR expert backend on Tesseract: words, lines, boxes and confidences for any op.

It implements the OCR interface of ``mmrecipe.backends.ocr`` (``ocr(images) ->
list[OcrResult]``, capability ``"ocr"``); confidences are Tesseract's 0–100.

Two engines read the same TSV layout: ``tesserocr`` (the Tesseract C++ API in process; its
wheel bundles libtesseract and reads Debian's ``tesseract-ocr`` language data) and
``pytesseract`` (runs Debian's ``tesseract`` binary per image). Measured by
``benchmarks/ocr.py`` on this machine: tesserocr 5.8x faster than pytesseract on 60 small
rendered text images, the same words (the process start dominates pytesseract), so ``auto``
picks tesserocr when it is installed. One tesserocr API per thread: it is not thread-safe.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from mmrecipe.backends.ocr import OcrInput, OcrResult, OcrWord, assemble
from mmrecipe.errors import BackendError
from mmrecipe.sample import ImageRef

Engine = Literal["auto", "tesserocr", "pytesseract"]
#: Tesseract page segmentation modes (``--psm``) that make sense for whole images
PSM_MODES = range(0, 14)


def parse_tsv(tsv: str, width: int, height: int, engine: str) -> OcrResult:
    """Tesseract's TSV (``image_to_data`` / ``GetTSVText``) -> words grouped into lines."""
    words: list[OcrWord] = []
    line_keys: dict[tuple[str, ...], int] = {}
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        try:
            left, top, w, h = (int(c) for c in cols[6:10])
            conf = float(cols[10])
        except ValueError:
            continue
        if not text or conf < 0:
            continue
        key = tuple(cols[1:5])  # page, block, paragraph, line
        line = line_keys.setdefault(key, len(line_keys))
        words.append(OcrWord(text, [left, top, left + w, top + h], round(conf, 2), line))
    return assemble(words, width, height, engine)


def find_tessdata() -> str | None:
    """Debian's language data folder (or ``TESSDATA_PREFIX``), where tesserocr finds it."""
    env = os.environ.get("TESSDATA_PREFIX")
    if env and Path(env).is_dir():
        return env
    binary = shutil.which("tesseract")
    if binary:
        try:
            out = subprocess.run(
                [binary, "--list-langs"], capture_output=True, text=True, timeout=30
            )
            match = re.search(r'"([^"]+)"', out.stdout + out.stderr)
            if match and Path(match.group(1)).is_dir():
                return match.group(1)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for candidate in sorted(Path("/usr/share/tesseract-ocr").glob("*/tessdata")):
        return str(candidate)
    return None


class TesseractBackend:
    """Tesseract OCR behind the OCR interface (see the module docstring).

    Args:
        name: the backend's name in the recipe
        lang: Tesseract languages, e.g. ``eng`` or ``eng+deu`` (their data must be installed)
        psm: page segmentation mode (3: automatic, 6: one block, 11: sparse text)
        engine: auto (tesserocr when installed), tesserocr or pytesseract
        tessdata: language data folder (default: found from Debian's tesseract)
        timeout_s: pytesseract only: longest time per image
        max_pixels: larger images are refused (a decompression bomb is no OCR input)
    """

    capabilities: frozenset[str] = frozenset({"ocr"})

    def __init__(
        self,
        name: str,
        lang: str = "eng",
        psm: int = 3,
        engine: Engine = "auto",
        tessdata: str | None = None,
        timeout_s: float = 60.0,
        max_pixels: int = 100_000_000,
    ) -> None:
        if psm not in PSM_MODES:
            raise BackendError(f"backend {name!r}: psm must be 0..13, got {psm}")
        self.name = name
        self.lang = lang
        self.psm = psm
        self.timeout_s = timeout_s
        self.max_pixels = max_pixels
        self.engine = self._pick(engine)
        self.model = f"tesseract-{self.engine}:{lang}"
        self.tessdata = tessdata or find_tessdata()
        self._local = threading.local()
        self._apis: list[Any] = []
        self._lock = threading.Lock()
        if self.engine == "tesserocr":
            self._api()  # fail at setup, not on the first image, when data is missing

    def _pick(self, engine: Engine) -> str:
        has_tesserocr = _importable("tesserocr")
        has_binary = shutil.which("tesseract") is not None and _importable("pytesseract")
        if engine == "tesserocr" and not has_tesserocr:
            raise BackendError(f"backend {self.name!r}: pip install tesserocr")
        if engine == "pytesseract" and not has_binary:
            raise BackendError(
                f"backend {self.name!r}: needs pip install pytesseract and Debian's "
                "tesseract (apt-get install tesseract-ocr)"
            )
        if engine == "auto":
            if has_tesserocr:
                return "tesserocr"
            if has_binary:
                return "pytesseract"
            raise BackendError(
                f"backend {self.name!r}: no Tesseract found: apt-get install tesseract-ocr, "
                "then pip install tesserocr (or pytesseract)"
            )
        return engine

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is None:
            import tesserocr

            try:
                api = tesserocr.PyTessBaseAPI(
                    path=(self.tessdata.rstrip("/") + "/") if self.tessdata else "./",
                    lang=self.lang,
                    psm=self.psm,
                )
            except RuntimeError as exc:
                raise BackendError(
                    f"backend {self.name!r}: Tesseract cannot load language {self.lang!r} "
                    f"from {self.tessdata}: {exc} (apt-get install tesseract-ocr-{self.lang})"
                ) from None
            self._local.api = api
            with self._lock:
                self._apis.append(api)
        return api

    def ocr(self, images: Sequence[OcrInput]) -> list[OcrResult]:
        """Read every image; one result per image, failures as results with ``error``."""
        return [self._one(image) for image in images]

    def _one(self, image: OcrInput) -> OcrResult:
        try:
            im = _open(image, self.max_pixels)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            return OcrResult(engine=self.engine, error=f"cannot open image: {exc}")
        try:
            width, height = im.size
            if self.engine == "tesserocr":
                api = self._api()
                api.SetImage(im)
                tsv = api.GetTSVText(0)
                api.Clear()
            else:
                import pytesseract

                tsv = pytesseract.image_to_data(
                    im, lang=self.lang, config=f"--psm {self.psm}", timeout=self.timeout_s
                )
            return parse_tsv(tsv, width, height, self.engine)
        except BackendError:
            raise
        except Exception as exc:  # one image's failure is that image's result
            return OcrResult(engine=self.engine, error=f"tesseract failed: {exc}")
        finally:
            im.close()

    def close(self) -> None:
        with self._lock:
            for api in self._apis:
                api.End()
            self._apis.clear()
        self._local = threading.local()


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _open(image: OcrInput, max_pixels: int) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    path = image.path if isinstance(image, ImageRef) else str(image)
    with Image.open(path) as im:
        if im.width * im.height > max_pixels:
            raise ValueError(f"{im.width}x{im.height} is over max_pixels={max_pixels}")
        im.load()
        return im.convert("RGB")
