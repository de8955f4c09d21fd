"""Fonts per script, the per-language grammars, and shaped rendering read back by Tesseract."""

from __future__ import annotations

import random
import re
import shutil

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from mmrecipe.errors import ConfigError
from mmrecipe.synth.multilingual.fonts import font_catalog, pick_face, shaping_available
from mmrecipe.synth.multilingual.grammar_data import GRAMMARS
from mmrecipe.synth.multilingual.languages import (
    LanguageMix,
    alphabet,
    expand,
    normalize_reading,
    script_of,
    tesseract_lang,
)

ALL = sorted(GRAMMARS)


def test_every_script_has_a_font_covering_its_text() -> None:
    mix = LanguageMix(ALL)
    catalog = font_catalog(mix.scripts, mix.alphabets())
    assert set(catalog) == {"latin", "cyrillic", "arabic", "devanagari", "han", "japanese"}
    for script, faces in catalog.items():
        assert {f.style for f in faces} == {"regular", "bold"}, script
    # the CJK collection's face is picked by region
    assert all("#2" in f.label for f in catalog["han"])  # Noto Sans CJK SC
    assert all("#" not in f.label for f in catalog["japanese"])  # JP is face 0


def test_a_script_without_a_font_is_refused_with_what_to_install(tmp_path) -> None:
    shutil.copy("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", tmp_path)
    mix = LanguageMix(["en", "ar"])
    assert font_catalog(["latin"], mix.alphabets(), [str(tmp_path)])["latin"]
    with pytest.raises(ConfigError, match=r"no font for script 'arabic'.*fonts-noto-core"):
        font_catalog(mix.scripts, mix.alphabets(), [str(tmp_path)])


def test_a_font_missing_characters_is_not_used(tmp_path) -> None:
    # DejaVu Sans has Cyrillic but no CJK: a folder with only it has no font for Chinese
    shutil.copy("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", tmp_path / "NotoSansCJK-x.ttf")
    with pytest.raises(ConfigError, match="'han'"):
        font_catalog(["han"], {"han": alphabet("zh")}, [str(tmp_path)])


def test_font_dirs_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MMRECIPE_FONT_DIRS", str(tmp_path))
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path))):
        font_catalog(["devanagari"], {"devanagari": "\u0915"})


def test_latin_falls_back_to_matplotlibs_fonts_on_a_host_without_fonts(
    tmp_path, monkeypatch
) -> None:
    """A bare container has no /usr/share/fonts: the quickstart still renders its English text."""
    monkeypatch.setenv("MMRECIPE_FONT_DIRS", str(tmp_path))
    faces = font_catalog(["latin", "cyrillic"], {"latin": "abc", "cyrillic": "\u0436"})
    assert faces["latin"] and all(
        "DejaVu" in f.path and "mpl-data" in f.path for f in faces["latin"]
    )
    assert faces["cyrillic"]


@pytest.mark.parametrize("lang", ALL)
def test_every_alternative_of_every_grammar_expands(lang: str) -> None:
    rules = GRAMMARS[lang]["rules"]
    rng = random.Random(0)
    for symbol in rules:
        for _ in range(30):
            text = expand(rng, lang, symbol)
            assert "<" not in text and ">" not in text and text.strip() == text
    for symbol in set(GRAMMARS[lang]["form"].values()):
        assert expand(rng, lang, symbol)
    # the same seed, the same text
    assert expand(random.Random(5), lang, "sentence") == expand(random.Random(5), lang, "sentence")


def test_language_ratios() -> None:
    mix = LanguageMix({"en": 3, "ar": 1, "zh": 0})
    assert mix.languages == ["ar", "en"]
    rng = random.Random(1)
    draws = [mix.draw(rng) for _ in range(4000)]
    assert 0.7 < draws.count("en") / len(draws) < 0.8
    with pytest.raises(ConfigError, match="unknown language 'xx'"):
        LanguageMix({"xx": 1})
    with pytest.raises(ConfigError, match="every ratio is 0"):
        LanguageMix({"en": 0})


def _render(text: str, lang: str, layout: ImageFont.Layout) -> Image.Image:
    mix = LanguageMix([lang])
    face = pick_face(font_catalog(mix.scripts, mix.alphabets())[script_of(lang)], "regular")[0]
    font = ImageFont.truetype(face.path, 40, index=face.index, layout_engine=layout)
    box = font.getbbox(text)
    image = Image.new("L", (box[2] + 40, box[3] + 40), 255)
    ImageDraw.Draw(image).text((20, 20), text, font=font, fill=0)
    return image


@pytest.mark.parametrize(("lang", "text"), [("ar", "ممنوع الوقوف"), ("hi", "किताबों की दुकान")])
def test_complex_scripts_are_shaped_and_read_back(lang: str, text: str) -> None:
    """Pillow's raqm layout joins Arabic and forms Devanagari conjuncts; Tesseract with the
    language's data reads the shaped rendering back exactly and the unshaped one not."""
    pytesseract = pytest.importorskip("pytesseract")
    assert shaping_available(), "Pillow without libraqm: apt-get install libfribidi0"
    shaped = _render(text, lang, ImageFont.Layout.RAQM)
    basic = _render(text, lang, ImageFont.Layout.BASIC)
    assert ImageChops.difference(shaped.crop((0, 0, *basic.size)), basic).getbbox() is not None

    def read(image: Image.Image) -> str:
        out = pytesseract.image_to_string(image, lang=tesseract_lang(lang), config="--psm 7")
        return normalize_reading(out, lang)

    assert read(shaped) == normalize_reading(text, lang)
    assert read(basic) != normalize_reading(text, lang)


def test_a_paragraph_does_not_repeat_a_sentence_pattern() -> None:
    from mmrecipe.synth.multilingual.languages import expand_distinct

    templates = GRAMMARS["en"]["rules"]["sentence"]
    patterns = [re.compile(re.sub(r"<[a-z0-9_]+>", ".+", re.escape(t)) + "$") for t in templates]
    texts = expand_distinct(random.Random(3), "en", "sentence", len(templates))
    used = [next(k for k, p in enumerate(patterns) if p.match(t)) for t in texts]
    assert sorted(used) == list(range(len(templates)))
