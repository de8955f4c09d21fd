"""The ocr op's confidence filters and failures, over the OCR interface (any expert)."""

from __future__ import annotations

from collections.abc import Sequence

from mmrecipe.backends.ocr import OcrInput, OcrResult, OcrWord, assemble
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample


class StubOcr:
    """An OCR expert answering per image path (what TrOCR or Florence-2 would plug in as)."""

    name, model, capabilities = "stub", "stub", frozenset({"ocr"})

    def __init__(self, words: dict[str, list[tuple[str, float, int]]]) -> None:
        self.words = words

    def ocr(self, images: Sequence[OcrInput]) -> list[OcrResult]:
        out = []
        for ref in images:
            path = ref.path if isinstance(ref, ImageRef) else str(ref)
            if path not in self.words:
                out.append(OcrResult(error="cannot open image: broken"))
                continue
            words = [
                OcrWord(t, [0, 10 * ln, 10, 10 * ln + 8], c, ln) for t, c, ln in self.words[path]
            ]
            out.append(assemble(words, 100, 100, "stub"))
        return out

    def close(self) -> None: ...


def run(op_params: dict, words: dict) -> dict[str, Sample]:
    op = build_op("ocr", "ocr", op_params)
    op.backend = StubOcr(words)
    samples = [Sample(id=p, images=[ImageRef(path=p)]) for p in [*words, "broken.png"]]
    samples.append(Sample(id="no-image"))
    return {s.id: s for s in op.process_batch(samples)}


def test_filters_and_failures() -> None:
    words = {
        "sign.png": [("OPEN", 95.0, 0), ("DAILY", 91.0, 0), ("~l|", 15.0, 1), ("10", 88.0, 1)],
        "blurry.png": [("0PFN", 55.0, 0), ("DA1LY", 48.0, 0), ("AREA", 64.0, 0)],
        "empty.png": [],
    }
    out = run({"min_word_conf": 40, "min_words": 2, "min_mean_conf": 70}, words)
    sign = out["sign.png"]
    assert sign.rejection is None
    assert sign.fields["ocr"]["text"] == "OPEN DAILY\n10"  # the 15% word is gone
    assert sign.scores == {"ocr_words": 3, "ocr_conf": 91.33}
    assert [line["text"] for line in sign.fields["ocr"]["lines"]] == ["OPEN DAILY", "10"]
    reasons = {k: (s.rejection.reason if s.rejection else None) for k, s in out.items()}
    assert reasons == {
        "sign.png": None,
        "blurry.png": "low_ocr_confidence",
        "empty.png": "too_little_text",
        "broken.png": "ocr_error",
        "no-image": "no_image",
    }
    assert out["blurry.png"].rejection.detail == "mean confidence 55.67 < 70"


def test_lines_field_keeps_each_line_as_a_region_for_a_line_reader() -> None:
    op = build_op("ocr", "ocr", {"lines_field": "ocr_lines"})
    op.backend = StubOcr({"sign.png": [("OPEN", 95.0, 0), ("DAILY", 91.0, 0), ("10", 88.0, 1)]})
    out = op.process_batch([Sample(id="s", images=[ImageRef(path="sign.png")])])[0]
    lines = out.fields["ocr_lines"]
    assert [line["text"] for line in lines] == ["OPEN DAILY", "10"]
    assert all(len(line["box"]) == 4 for line in lines)
