"""Expert labels compared as words: normalization ("the Dogs" -> "dog") and an item's label.
Shared by the expert ops (consensus, textualization) and CoMM's entity check in curation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SPACE = re.compile(r"\s+")


def norm_label(label: str, synonyms: Mapping[str, str] | None = None) -> str:
    """Lower case, single spaces, articles dropped, a simple plural folded ("dogs" -> "dog"),
    then mapped through ``synonyms``."""
    text = _SPACE.sub(" ", str(label).strip().lower())
    text = re.sub(r"^(a|an|the)\s+", "", text)
    if synonyms and text in synonyms:
        return synonyms[text]
    singular = singularize(text)
    if synonyms and singular in synonyms:
        return synonyms[singular]
    return singular


def singularize(word: str) -> str:
    """A light English singular for the last word of a label (no dictionary)."""
    head, _, last = word.rpartition(" ")
    if len(last) > 3 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 3 and last.endswith(("ches", "shes", "xes", "sses")):
        last = last[:-2]
    elif len(last) > 2 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return f"{head} {last}" if head else last


def item_label(item: Any) -> str:
    """The label of an expert output item: a string, or a dict's label/tag/name/text."""
    if isinstance(item, Mapping):
        for key in ("label", "tag", "name", "text"):
            if key in item:
                return str(item[key])
        return ""
    return str(item)
