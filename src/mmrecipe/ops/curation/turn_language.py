"""Language of every turn (langdetect, seeded): keep conversations in the wanted languages."""

from __future__ import annotations

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


@register_op("turn_language")
class TurnLanguage(FilterOp):
    """Scores, for each chosen turn of at least ``min_chars`` letters, the probability
    langdetect gives the wanted languages, keeping the lowest (``scores.<step>_prob``; 1.0
    when no turn is long enough to judge). ``fields.<step>`` lists each judged turn's top
    language. Rejects: ``wrong_language``.

    Args:
        languages: ISO codes kept (langdetect's: en, zh-cn, fr, ...)
        role: which turns: user, assistant or all
        min_prob: lowest probability of a wanted language kept
        min_chars: shorter turns are not judged (langdetect guesses on a few words)
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
                text = text.replace("<image>", " ")
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
