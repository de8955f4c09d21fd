"""Answers must be supported by the OCR text: quotes, numbers, content words."""

from __future__ import annotations

from mmrecipe.ops.generation.ocr_support_check import support_problems, tokens
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample

OCR = tokens("GRAND OPENING\nSATURDAY MAY 4\nFREE COFFEE ALL DAY")


def test_support_rules() -> None:
    assert support_problems("It is a grand opening.", OCR, 1, True) == []
    assert support_problems("It says “Free coffee all day”.", OCR, 1, True) == []
    assert support_problems('It says "free tea".', OCR, 1, True) == [
        "quotes 'free tea', not in the OCR text"
    ]
    assert support_problems("On Saturday, May 5.", OCR, 1, True) == [
        "numbers not in the OCR text: 5"
    ]
    assert support_problems("On Saturday, May 5.", OCR, 1, False) == []
    assert support_problems("It is a nice photo.", OCR, 1, True) == [
        "0 of its words in the OCR text (min_overlap 1)"
    ]


def test_reject_mode_rejects_on_any_unsupported_pair() -> None:
    pairs = [{"question": "When?", "answer": "Saturday."}, {"question": "Price?", "answer": "$5."}]
    fields = {"qa": pairs, "ocr": {"text": "SATURDAY ONLY"}}
    for mode, reason in (("drop_pair", None), ("reject", "unsupported_by_ocr")):
        op = build_op("ocr_support_check", "check", {"on_unsupported": mode})
        sample = Sample(id="s", images=[ImageRef(path="x.png")], fields=dict(fields))
        (out,) = op.process_batch([sample])
        assert (out.rejection.reason if out.rejection else None) == reason
    assert out.rejection.detail.startswith("'$5.': numbers not in the OCR text: 5")
    op = build_op("ocr_support_check", "check", {})
    (out,) = op.process_batch(
        [Sample(id="s", images=[ImageRef(path="x.png")], fields=dict(fields))]
    )
    assert out.fields["qa"] == pairs[:1]
    assert out.messages == [
        {"role": "user", "content": "<image>\nWhen?"},
        {"role": "assistant", "content": "Saturday."},
    ]
