"""Language of every turn (langdetect, seeded): keep conversations in the wanted languages."""

from __future__ import annotations

import re
import threading
from typing import Literal

from mmrecipe.curation.rules import selected_turns
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

#: langdetect loads its profiles lazily into a global factory; two shards loading them at once
#: in the CPU thread pool duplicate every profile and the answers go wrong ("pl" for English)
_INIT_LOCK = threading.Lock()


def _load_profiles() -> None:
    from langdetect import DetectorFactory, detector_factory

    with _INIT_LOCK:
        DetectorFactory.seed = 0
        detector_factory.init_factory()


#: LaTeX a turn may hold: display and inline math, environments, then any other command
_LATEX = re.compile(
    r"\$\$.*?\$\$|\$[^$]*\$|\\\[.*?\\\]|\\\(.*?\\\)"
    r"|\\begin\{([a-zA-Z*]+)\}.*?\\end\{\1\}|\\[A-Za-z]+\*?",
    re.DOTALL,
)
_WORD = re.compile(r"[^\W\d_]+")


def prose_of(text: str) -> str:
    """The words of ``text`` a language can be told from: no LaTeX (math, commands), no
    all-capital words (an OCR transcription of signs: "EXIT / FRESH FRUIT / NO PARKING"),
    no single letters (variables); letters of scripts without case (Chinese, Arabic, ...)
    all count."""
    text = _LATEX.sub(" ", text.replace("<image>", " "))
    words = [w for w in _WORD.findall(text) if len(w) > 1 and not w.isupper()]
    return " ".join(words)


@register_op("turn_language")
class TurnLanguage(FilterOp):
    """Scores, for each chosen turn with at least ``min_chars`` letters of prose, the
    probability langdetect gives the wanted languages, keeping the lowest
    (``scores.<step>_prob``; 1.0 when no turn has enough prose to judge). Prose is what a
    language can be told from (:func:`prose_of`): LaTeX, all-capital words (OCR of signs),
    single letters and numbers are left out, and only the prose is given to langdetect, so a
    transcription "EXIT / FRESH FRUIT / NO PARKING" or a formula is never called Portuguese
    or Catalan. ``fields.<step>`` lists each judged turn's top language. Rejects:
    ``wrong_language``.

    Args:
        languages: ISO codes kept (langdetect's: en, zh-cn, fr, ...)
        role: which turns: user, assistant or all
        min_prob: lowest probability of a wanted language kept
        min_chars: turns with fewer letters of prose are not judged (langdetect guesses on a
            few words)
    """

    reads = ("messages",)
    writes = ("scores.*", "fields.*")

    def __init__(
        self,
        languages: list[str] | None = None,
        role: Literal["user", "assistant", "all"] = "all",
        min_prob: float = 0.5,
        min_chars: int = 20,
    ) -> None:
        self.languages = set(languages or ["en"])
        if not self.languages:
            raise ConfigError("turn_language: languages is empty")
        self.role = role
        self.min_prob = min_prob
        self.min_chars = min_chars

    def score(self, samples: list[Sample]) -> None:
        from langdetect import detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        _load_profiles()
        for sample in samples:
            lowest, tops = 1.0, []
            for _, _, text in selected_turns(sample.messages, self.role):
                text = prose_of(text)
                if sum(c.isalpha() for c in text) < self.min_chars:
                    continue
                try:
                    found = detect_langs(text)
                except LangDetectException:
                    continue
                tops.append(found[0].lang)
                lowest = min(lowest, sum(x.prob for x in found if x.lang in self.languages))
            sample.scores[f"{self.name}_prob"] = round(lowest, 4)
            sample.fields[self.name] = tops

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        prob = sample.scores[f"{self.name}_prob"]
        if prob < self.min_prob:
            wanted = ", ".join(sorted(self.languages))
            return ("wrong_language", f"turns in {sample.fields.get(self.name)}, wanted {wanted}")
        return None
