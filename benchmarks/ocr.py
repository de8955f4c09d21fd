"""OCR engines on the same rendered text images, in one run: tesserocr (the Tesseract API in
process) vs pytesseract (Debian's tesseract binary per image). Prints images/s, the ratio and
whether both read the same words.

    python benchmarks/ocr.py [--images 60]
"""

from __future__ import annotations

import argparse
import time

from PIL import Image, ImageDraw, ImageFont

from mmrecipe.backends.tesseract import TesseractBackend

LINES = ["OPEN DAILY", "HOURS 10 TO 18", "CITY PUBLIC LIBRARY", "FRESH BREAD", "SALE 50 OFF"]


def images(n: int) -> list[Image.Image]:
    font = ImageFont.load_default(size=36)
    out = []
    for i in range(n):
        im = Image.new("RGB", (640, 200), "white")
        draw = ImageDraw.Draw(im)
        draw.text((20, 30), LINES[i % len(LINES)], fill="black", font=font)
        draw.text((20, 110), f"ITEM {i} PRICE {i * 3 % 97}", fill="black", font=font)
        out.append(im)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    args = parser.parse_args()
    batch = images(args.images)
    rows = []
    texts = {}
    for engine in ("tesserocr", "pytesseract"):
        backend = TesseractBackend("bench", engine=engine, psm=11)
        backend.ocr(batch[:1])  # warm up
        t0 = time.perf_counter()
        results = backend.ocr(batch)
        seconds = time.perf_counter() - t0
        backend.close()
        texts[engine] = [r.text for r in results]
        rows.append((engine, args.images / seconds))
    print(f"{'engine':<12} {'images/s':>9} {'ratio':>6}")
    for engine, rate in rows:
        print(f"{engine:<12} {rate:>9.1f} {rate / rows[-1][1]:>6.2f}")
    same = sum(a == b for a, b in zip(texts["tesserocr"], texts["pytesseract"], strict=True))
    print(f"same text on {same}/{args.images} images")


if __name__ == "__main__":
    main()
