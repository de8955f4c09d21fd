"""Text measures shared by the per-turn rule filters."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from mmrecipe.io.conversation import text_of

#: chat-template and tokenizer leftovers: <|im_end|>, </s>, [INST], <image>, <unk>, ...
SPECIAL_TOKENS = re.compile(
    r"<\|[^|<>\s]{1,40}\|>|</?s>|\[/?INST\]|<unk>|<pad>|<mask>|</?(?:image|img|ref|box|quad)>"
    r"|<start_of_turn>|<end_of_turn>|<\uff5c[^<>]{1,40}\uff5c>",
    re.I,
)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
#: a CJK character counts as a word, as in caption_screen
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+", re.U)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("<image>", " ").lower())


def selected_turns(messages: list[dict[str, Any]], role: str) -> list[tuple[int, str, str]]:
    """(index, role, text) of the user/assistant turns ``role`` selects (``all``: both)."""
    out = []
    for i, m in enumerate(messages):
        r = m.get("role")
        if r in ("user", "assistant") and role in ("all", r):
            out.append((i, str(r), text_of(m)))
    return out


def repetition_ratio(words: list[str], n: int) -> float:
    """Share of word ``n``-grams that occur more than once (Data-Juicer's word repetition)."""
    if len(words) < n:
        return 0.0
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    total = sum(grams.values())
    return sum(c for c in grams.values() if c > 1) / total
