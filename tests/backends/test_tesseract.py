"""The Tesseract OCR backend on rendered text: both engines, words/lines/boxes/confidences,
one bad image is one failed result, and the interface other experts implement."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from mmrecipe.backends import build_backend
from mmrecipe.backends.ocr import OcrBackend
from mmrecipe.backends.tesseract import TesseractBackend, parse_tsv


@pytest.fixture
def sign(tmp_path: Path) -> Path:
    im = Image.new("RGB", (520, 180), "white")
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=44)
    draw.text((30, 30), "CITY LIBRARY", fill="black", font=font)
    draw.text((30, 100), "OPEN DAILY", fill="black", font=font)
    im.save(tmp_path / "sign.png")
    return tmp_path / "sign.png"


@pytest.mark.parametrize("engine", ["tesserocr", "pytesseract"])
def test_reads_words_lines_boxes(engine: str, sign: Path, tmp_path: Path) -> None:
    backend = build_backend("ocr", {"type": "tesseract", "engine": engine, "psm": 11})
    assert isinstance(backend, OcrBackend) and "ocr" in backend.capabilities
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    good, broken = backend.ocr([sign, tmp_path / "broken.png"])
    assert good.error is None and good.text == "CITY LIBRARY\nOPEN DAILY"
    assert [w.text for w in good.words] == ["CITY", "LIBRARY", "OPEN", "DAILY"]
    assert [w.line for w in good.words] == [0, 0, 1, 1]
    assert all(w.conf > 80 for w in good.words)
    x1, y1, x2, y2 = good.lines[0].bbox
    assert 25 <= x1 <= 40 and 25 <= y1 <= 50 and x2 > 300 and y2 < 100
    assert good.to_dict()["mean_conf"] > 80 and (good.width, good.height) == (520, 180)
    assert broken.error and broken.error.startswith("cannot open image")
    backend.close()


def test_confidence_filter_rebuilds_lines() -> None:
    tsv = (
        "5\t1\t1\t1\t1\t1\t10\t10\t40\t20\t95.5\tOPEN\n"
        "5\t1\t1\t1\t1\t2\t60\t10\t40\t20\t12.0\tl|1\n"
        "5\t1\t1\t1\t2\t1\t10\t50\t40\t20\t90.0\tDAILY\n"
        "4\t1\t1\t1\t2\t0\t10\t50\t40\t20\t-1\t\n"
    )
    result = parse_tsv(tsv, 200, 100, "test")
    assert result.text == "OPEN l|1\nDAILY"
    kept = result.filtered(50)
    assert kept.text == "OPEN\nDAILY" and kept.lines[0].bbox == [10, 10, 50, 30]
    assert round(kept.mean_conf, 2) == 92.75


def test_missing_language_fails_at_setup() -> None:
    with pytest.raises(Exception, match="cannot load language"):
        TesseractBackend("ocr", lang="zzz", engine="tesserocr")
