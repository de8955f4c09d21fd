"""Keep only QA answers the OCR text supports (LLaVAR: questions about the text in an image)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.generation.qa import qa_turns
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTED = re.compile(r'"([^"\n]{1,200})"|“([^”\n]{1,200})”')
#: words that carry no claim about the text
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "are",
        "was",
        "were",
        "this",
        "that",
        "with",
        "from",
        "text",
        "image",
        "picture",
        "photo",
        "sign",
        "says",
        "read",
        "reads",
        "written",
        "word",
        "words",
        "shows",
        "shown",
        "show",
        "there",
        "here",
        "its",
        "it's",
        "has",
        "have",
        "can",
        "see",
        "also",
        "which",
        "what",
        "where",
        "when",
        "who",
        "how",
        "why",
        "not",
        "but",
        "into",
        "onto",
        "upon",
        "about",
        "above",
        "below",
    ]
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens after Unicode normalization (OCR and answers compared alike)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def support_problems(
    answer: str, ocr_tokens: list[str], min_overlap: int, numbers: bool
) -> list[str]:
    """Why ``answer`` is not supported by the OCR tokens (empty: supported)."""
    vocab = set(ocr_tokens)
    joined = " " + " ".join(ocr_tokens) + " "
    problems = []
    for match in _QUOTED.finditer(answer):
        quoted = tokens(match.group(1) or match.group(2))
        if quoted and f" {' '.join(quoted)} " not in joined:
            problems.append(f"quotes {' '.join(quoted)!r}, not in the OCR text")
    words = tokens(answer)
    if numbers:
        missing = [w for w in words if any(c.isdigit() for c in w) and w not in vocab]
        if missing:
            problems.append(f"numbers not in the OCR text: {', '.join(dict.fromkeys(missing))}")
    content = [w for w in words if (len(w) >= 3 or w.isdigit()) and w not in _STOP]
    overlap = len({w for w in content if w in vocab})
    if overlap < min_overlap:
        problems.append(f"{overlap} of its words in the OCR text (min_overlap {min_overlap})")
    return problems


@register_op("ocr_support_check")
class OcrSupportCheck(MapOp):
    """Check each QA answer against the image's OCR text: every quoted span must occur in it,
    every number must be one of its tokens (``numbers: true``), and at least ``min_overlap`` of
    the answer's content words must be OCR words. Unsupported pairs are dropped (kept with
    their reasons in ``fields.<qa_field>_unsupported``) and the conversation is rebuilt from
    the rest; a sample left with fewer than ``min_pairs`` (or any unsupported pair, with
    ``on_unsupported: reject``) is rejected as ``unsupported_by_ocr``, the reasons in the detail.

    Args:
        qa_field: field with the QA pairs (``qa_generate``)
        ocr_field: field with the OCR result (``ocr`` op) or the OCR text
        min_overlap: content words of an answer that must be OCR words
        numbers: every number in an answer must be an OCR token
        on_unsupported: drop_pair (keep the supported ones) or reject (the whole sample)
        min_pairs: fewer supported pairs reject the sample
    """

    reads = ("fields.qa", "fields.ocr")
    writes = ("fields.qa", "messages")

    def __init__(
        self,
        qa_field: str = "qa",
        ocr_field: str = "ocr",
        min_overlap: int = 1,
        numbers: bool = True,
        on_unsupported: Literal["drop_pair", "reject"] = "drop_pair",
        min_pairs: int = 1,
    ) -> None:
        if min_overlap < 0 or min_pairs < 1:
            raise ConfigError("ocr_support_check: min_overlap >= 0 and min_pairs >= 1")
        self.qa_field = qa_field
        self.ocr_field = ocr_field
        self.min_overlap = min_overlap
        self.numbers = numbers
        self.on_unsupported = on_unsupported
        self.min_pairs = min_pairs
        self.reads = (f"fields.{qa_field}", f"fields.{ocr_field}")
        self.writes = (f"fields.{qa_field}", f"fields.{qa_field}_unsupported", "messages")

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            pairs = sample.fields.get(self.qa_field)
            ocr = sample.fields.get(self.ocr_field)
            if not isinstance(pairs, list) or ocr is None:
                sample.reject(
                    self.name,
                    "missing_field",
                    f"needs fields.{self.qa_field} and fields.{self.ocr_field}",
                )
                continue
            ocr_tokens = tokens(ocr.get("text", "") if isinstance(ocr, dict) else str(ocr))
            kept: list[dict[str, Any]] = []
            dropped: list[dict[str, Any]] = []
            for pair in pairs:
                problems = support_problems(
                    str(pair.get("answer", "")), ocr_tokens, self.min_overlap, self.numbers
                )
                if problems:
                    dropped.append({**pair, "unsupported": problems})
                else:
                    kept.append(pair)
            if dropped:
                sample.fields[f"{self.qa_field}_unsupported"] = dropped
            if len(kept) < self.min_pairs or (dropped and self.on_unsupported == "reject"):
                detail = "; ".join(
                    f"{d['answer']!r}: {', '.join(d['unsupported'])}" for d in dropped
                )
                sample.reject(self.name, "unsupported_by_ocr", detail[:4000])
                continue
            if dropped:
                sample.fields[self.qa_field] = kept
                sample.messages = qa_turns(kept, len(sample.images))
        return samples
