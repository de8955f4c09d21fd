"""Rule screening of captions before they are recycled (Oasis caption recycling, step 1)."""

from __future__ import annotations

import re

from mmrecipe.curation.rules import SPECIAL_TOKENS
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

#: stray fields: chat roles and field labels that make a text something other than a caption
STRAY_FIELDS = re.compile(
    r"^[ \t>*#-]*(?:user|assistant|human|gpt|system|question|answer|instruction|q|a"
    r"|response|input|output|caption|title|tags?|keywords?)[ \t*]*[:：]"
    r"|^\s*[\[{]\s*\"",
    re.I | re.M,
)
_WORD = re.compile(r"\w+", re.U)


@register_op("caption_screen")
class CaptionScreen(MapOp):
    """Reject texts that cannot be captions by rule, before paying an LLM to refine them.

    Rejects: ``special_tokens`` (chat-template or tokenizer leftovers), ``stray_fields`` (role
    or field labels, JSON), ``too_short`` / ``too_long`` (in words; a CJK character counts as
    a word), ``repetitive`` (few distinct word trigrams: a model stuck in a loop).

    Args:
        field: the field holding the caption
        min_words: shortest caption kept
        max_words: longest caption kept
        min_distinct_trigrams: lowest share of distinct word trigrams kept (0 switches it off)
        reject_special_tokens: check for special tokens
        reject_stray_fields: check for role and field labels
    """

    def __init__(
        self,
        field: str = "caption",
        min_words: int = 8,
        max_words: int = 400,
        min_distinct_trigrams: float = 0.5,
        reject_special_tokens: bool = True,
        reject_stray_fields: bool = True,
    ) -> None:
        if min_words > max_words:
            raise ConfigError("caption_screen: min_words is larger than max_words")
        self.field = field
        self.min_words = min_words
        self.max_words = max_words
        self.min_distinct_trigrams = min_distinct_trigrams
        self.reject_special_tokens = reject_special_tokens
        self.reject_stray_fields = reject_stray_fields
        self.reads = (f"fields.{field}",)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            problem = self.check(sample.fields.get(self.field))
            if problem is not None:
                sample.reject(self.name, *problem)
        return samples

    def check(self, text: object) -> tuple[str, str] | None:
        """(reason, detail) for a text that fails a rule, None for a good one."""
        if not isinstance(text, str) or not text.strip():
            return ("missing_field", f"fields.{self.field} is empty or not text")
        if self.reject_special_tokens and (m := SPECIAL_TOKENS.search(text)):
            return ("special_tokens", f"contains {m.group(0)!r}")
        if self.reject_stray_fields and (m := STRAY_FIELDS.search(text)):
            return ("stray_fields", f"contains {m.group(0).strip()!r}")
        words = [w for token in _WORD.findall(text) for w in _split_cjk(token)]
        if len(words) < self.min_words:
            return ("too_short", f"{len(words)} words < {self.min_words}")
        if len(words) > self.max_words:
            return ("too_long", f"{len(words)} words > {self.max_words}")
        if self.min_distinct_trigrams > 0 and len(words) >= 12:
            trigrams = list(zip(words, words[1:], words[2:], strict=False))
            share = len(set(trigrams)) / len(trigrams)
            if share < self.min_distinct_trigrams:
                return ("repetitive", f"{share:.2f} of word trigrams distinct")
        return None


def _split_cjk(token: str) -> list[str]:
    if re.search(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]", token):
        return list(token)
    return [token.lower()]
