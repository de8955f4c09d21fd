"""Recognizer agreement per script, and shaped versus unshaped rendering, read back by Tesseract.

Two tables, one run:

1. ``shaping``: sign texts of each language drawn in black on white with Pillow's raqm layout
   (HarfBuzz shaping, FriBiDi ordering) and with its basic layout, each read by Tesseract with
   the language's data (``--psm 7``); the share read back exactly (NFKC, case-folded).
2. ``agreement``: regions of the ``scene_text`` generator (bundled photos, difficulty 1-3) and
   of ``multilingual_document`` (pages, forms, tables) read back by ``text_region_consensus``'s
   built-in Tesseract; the share of regions whose reading equals the ground truth, per script.
   This is the rate at which the consensus keeps regions with Tesseract as its one recognizer.

    python benchmarks/scene_text_ocr.py [-n 20]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections import Counter
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mmrecipe.ops.synthesis.text_region_consensus import TextRegionConsensus
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.synth.base import item_rng
from mmrecipe.synth.multilingual.fonts import font_catalog, pick_face
from mmrecipe.synth.multilingual.grammar_data import GRAMMARS
from mmrecipe.synth.multilingual.languages import (
    LanguageMix,
    expand,
    normalize_reading,
    script_of,
    tesseract_lang,
)
from mmrecipe.synth.multilingual.ml_document import MultilingualDocumentGenerator
from mmrecipe.synth.multilingual.scene_text_gen import SceneTextGenerator


def shaping_table(n: int) -> None:
    import pytesseract

    print("language  script       raqm read back  basic read back")
    for lang in sorted(GRAMMARS):
        mix = LanguageMix([lang])
        face = pick_face(font_catalog(mix.scripts, mix.alphabets())[script_of(lang)], "regular")[0]
        rng = random.Random(0)
        ok: Counter[str] = Counter()
        for _ in range(n):
            text = expand(rng, lang, "sign")
            for name, layout in (
                ("raqm", ImageFont.Layout.RAQM),
                ("basic", ImageFont.Layout.BASIC),
            ):
                font = ImageFont.truetype(face.path, 40, index=face.index, layout_engine=layout)
                box = font.getbbox(text)
                im = Image.new("L", (box[2] + 40, box[3] + 40), 255)
                ImageDraw.Draw(im).text((20, 20), text, font=font, fill=0)
                got = pytesseract.image_to_string(im, lang=tesseract_lang(lang), config="--psm 7")
                ok[name] += normalize_reading(got, lang) == normalize_reading(text, lang)
        print(f"{lang:<9} {script_of(lang):<12} {ok['raqm']:>3}/{n:<11} {ok['basic']:>3}/{n}")


def agreement_table(n: int) -> None:
    langs = sorted(GRAMMARS)
    op = TextRegionConsensus()
    op.step_name = "consensus"

    class _Ctx:  # the op needs no backend for the built-in Tesseract
        def backend(self, name: str) -> None:
            raise KeyError(name)

    op.setup(_Ctx())  # type: ignore[arg-type]
    print("\ngenerator              script       regions  agreed  rate")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, gen in (
            ("scene_text", SceneTextGenerator(languages=langs)),
            ("multilingual_document", MultilingualDocumentGenerator(languages=langs)),
        ):
            total: Counter[str] = Counter()
            agreed: Counter[str] = Counter()
            for i in range(n * len(langs)):
                item = gen.make(item_rng(11, kind, i), 1 + i % 3)
                path = Path(tmp) / f"{kind}-{i}.png"
                item.images[0].save(path)
                sample = Sample(
                    id=str(i),
                    images=[ImageRef(str(path))],
                    fields={"ground_truth": item.ground_truth},
                )
                op.score([sample])
                for region in sample.fields["ocr_consensus"]:
                    script = script_of(region["language"])
                    total[script] += 1
                    agreed[script] += region["agreement"] == 1.0
            for script in sorted(total):
                rate = agreed[script] / total[script]
                print(
                    f"{kind:<22} {script:<12} {total[script]:>7}  {agreed[script]:>6}  {rate:.2f}"
                )
    op.teardown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="texts / items per language")
    args = parser.parse_args()
    shaping_table(args.n)
    agreement_table(args.n)


if __name__ == "__main__":
    main()
