"""Languages as a setting: ratios over per-language grammars, text expanded from them.

``LanguageMix({"en": 2, "ar": 1})`` draws a language per text by ratio; :func:`expand` turns a
grammar symbol (``sign``, ``sentence``, ``title``...) into text, so every line is a phrase a
person would write (no word salad). Numbers, dates and phone numbers are built-in terminals,
written with ASCII digits in every language (as on most signs and forms).
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import lru_cache
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.synth.multilingual.grammar_data import GRAMMARS

_SYMBOL = re.compile(r"<([a-z0-9_]+)>")
_MAX_DEPTH = 8


def _terminal(rng: random.Random, symbol: str, grammar: dict[str, Any]) -> str | None:
    if symbol == "n1":
        return str(rng.randint(1, 9))
    if symbol == "n2":
        return str(rng.randint(10, 99))
    if symbol == "n3":
        return str(rng.randint(100, 999))
    if symbol == "n4":
        return str(rng.randint(1000, 9999))
    if symbol == "h1":
        return str(rng.randint(6, 10))
    if symbol == "h2":
        return str(rng.randint(17, 22))
    if symbol == "letter":
        return rng.choice("ABCDEF")
    if symbol == "phone":
        return f"{rng.randint(200, 989)}-{rng.randint(1000, 9999)}"
    if symbol == "date":
        y, m, d = rng.randint(2018, 2026), rng.randint(1, 12), rng.randint(1, 28)
        return str(grammar["date"]).format(y=y, m=m, d=d)
    return None


def expand(rng: random.Random, language: str, symbol: str, _depth: int = 0) -> str:
    """Text for ``symbol`` in ``language``'s grammar (a random alternative, expanded)."""
    grammar = grammar_of(language)
    built = _terminal(rng, symbol, grammar)
    if built is not None:
        return built
    if _depth > _MAX_DEPTH:
        raise ConfigError(f"grammar {language!r}: {symbol!r} recurses too deep")
    try:
        alternatives = grammar["rules"][symbol]
    except KeyError:
        raise ConfigError(f"grammar {language!r} has no symbol {symbol!r}") from None
    text = rng.choice(alternatives)
    return _SYMBOL.sub(lambda m: expand(rng, language, m.group(1), _depth + 1), text)


def expand_distinct(rng: random.Random, language: str, symbol: str, n: int) -> list[str]:
    """``n`` texts for ``symbol``, each from a different alternative while there are enough
    (a paragraph does not repeat a sentence pattern)."""
    alternatives = grammar_of(language)["rules"][symbol]
    picks = rng.sample(range(len(alternatives)), min(n, len(alternatives)))
    picks += [rng.randrange(len(alternatives)) for _ in range(n - len(picks))]
    return [
        _SYMBOL.sub(lambda m: expand(rng, language, m.group(1), 1), alternatives[k]) for k in picks
    ]


def grammar_of(language: str) -> dict[str, Any]:
    try:
        return GRAMMARS[language]
    except KeyError:
        raise ConfigError(
            f"unknown language {language!r}; known: {', '.join(sorted(GRAMMARS))}"
        ) from None


def script_of(language: str) -> str:
    return str(grammar_of(language)["script"])


def tesseract_lang(language: str) -> str:
    return str(grammar_of(language)["tesseract"])


def is_rtl(language: str) -> bool:
    return grammar_of(language)["direction"] == "rtl"


@lru_cache(maxsize=32)
def alphabet(language: str) -> str:
    """Every character the language's grammar can write (for the font coverage check)."""
    grammar = grammar_of(language)
    chars: set[str] = set("0123456789")
    used: set[str] = set()
    for alternatives in grammar["rules"].values():
        for text in alternatives:
            chars.update(_SYMBOL.sub("", text))
            used.update(_SYMBOL.findall(text))
    if "letter" in used:
        chars.update("ABCDEF")
    if "phone" in used or "phone" in grammar["form"].values():
        chars.add("-")
    for key in grammar["form"]:
        chars.update(key)
    chars.update("".join(grammar["table"].values()))
    chars.update(str(grammar["date"]).format(y=2024, m=12, d=28))
    return "".join(sorted(c for c in chars if not c.isspace() and c.isprintable()))


def normalize_reading(text: str, language: str) -> str:
    """The form two readings are compared in: NFKC, case-folded, spaces collapsed (dropped in
    Chinese and Japanese, which write none but OCR engines often insert), trailing dots off."""
    text = unicodedata.normalize("NFKC", text).casefold().strip().rstrip(".。।")
    if script_of(language) in ("han", "japanese"):
        return "".join(text.split())
    return " ".join(text.split())


class LanguageMix:
    """Languages with ratios; :meth:`draw` picks one per text."""

    def __init__(self, ratios: dict[str, float] | list[str] | None) -> None:
        if ratios is None:
            ratios = {"en": 1.0}
        if isinstance(ratios, list):
            ratios = dict.fromkeys(ratios, 1.0)
        if not ratios:
            raise ConfigError("languages: give at least one language with a ratio")
        for lang, ratio in ratios.items():
            grammar_of(lang)
            if not isinstance(ratio, int | float) or ratio < 0:
                raise ConfigError(f"languages: ratio of {lang!r} must be a number >= 0")
        self.ratios = {k: float(v) for k, v in sorted(ratios.items()) if v > 0}
        if not self.ratios:
            raise ConfigError("languages: every ratio is 0")

    @property
    def languages(self) -> list[str]:
        return list(self.ratios)

    @property
    def scripts(self) -> list[str]:
        return sorted({script_of(lang) for lang in self.ratios})

    def draw(self, rng: random.Random) -> str:
        langs = self.languages
        return rng.choices(langs, weights=[self.ratios[k] for k in langs])[0]

    def alphabets(self) -> dict[str, str]:
        """script -> the characters its languages here write."""
        out: dict[str, str] = {}
        for lang in self.ratios:
            script = script_of(lang)
            out[script] = "".join(sorted(set(out.get(script, "")) | set(alphabet(lang))))
        return out
