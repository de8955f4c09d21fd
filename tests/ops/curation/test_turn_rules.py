"""Per-turn rule filters over existing conversations: every turn is checked, scores are kept
and thresholds decide separately."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from mmrecipe.ops.curation.special_tokens import SpecialTokens
from mmrecipe.ops.curation.turn_language import TurnLanguage
from mmrecipe.ops.curation.turn_length import TurnLength
from mmrecipe.ops.curation.turn_repetition import TurnRepetition
from mmrecipe.ops.curation.turn_structure import TurnStructure
from mmrecipe.ops.intake.image_quality import ImageQuality
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.testing.variants import distinct_photos

GOOD = [
    {"role": "user", "content": "<image>\nWhat is the astronaut holding in her hands?"},
    {"role": "assistant", "content": "She is holding a white helmet in front of a flag."},
    {"role": "user", "content": "What colour is the flag behind her on the wall?"},
    {"role": "assistant", "content": "It is the flag of the United States, red white and blue."},
]


def _fate(op, messages: list[dict]) -> tuple[Sample, str | None]:
    sample = Sample(id="s", messages=messages)
    op.process_batch([sample])
    return sample, sample.rejection.reason if sample.rejection else None


def test_structure_checks_every_turn() -> None:
    op = TurnStructure()
    assert _fate(op, GOOD)[1] is None
    bad_second = [*GOOD[:3], {"role": "assistant", "content": "  <image> "}]
    sample, reason = _fate(op, bad_second)
    assert reason == "empty_turn" and sample.scores["turn_structure_empty_turns"] == 1
    assert _fate(op, [GOOD[0], GOOD[2], GOOD[1]])[1] == "non_alternating"
    assert _fate(op, GOOD[:3])[1] == "non_alternating"  # ends on a question
    assert _fate(op, [])[1] == "no_turns"
    assert _fate(TurnStructure(max_role_breaks=5), GOOD[:3])[1] is None  # a threshold only


def test_length_bounds_each_turn_not_the_total() -> None:
    short_later = [*GOOD[:3], {"role": "assistant", "content": "Red."}]
    sample, reason = _fate(TurnLength(min_words=3), short_later)
    assert reason == "too_short" and "turn 3" in sample.rejection.detail
    assert sample.scores["turn_length_min_words"] == 1
    assert _fate(TurnLength(max_words=5), GOOD)[1] == "too_long"
    assert _fate(TurnLength(min_words=3, max_words=50), GOOD)[1] is None


def test_repetition_in_any_turn() -> None:
    loop = [*GOOD[:3], {"role": "assistant", "content": "the red flag " * 20}]
    sample, reason = _fate(TurnRepetition(ngram=3, max_ratio=0.3), loop)
    assert reason == "repetitive" and sample.scores["turn_repetition_ratio"] > 0.9
    assert _fate(TurnRepetition(ngram=3, max_ratio=0.3), GOOD)[1] is None


def test_special_tokens_but_image_placeholder_in_user_turns() -> None:
    assert _fate(SpecialTokens(), GOOD)[1] is None
    leaked = [*GOOD[:3], {"role": "assistant", "content": "Red and blue.<|im_end|>"}]
    sample, reason = _fate(SpecialTokens(), leaked)
    assert reason == "special_tokens" and "<|im_end|>" in sample.rejection.detail
    stray_image = [GOOD[0], {"role": "assistant", "content": "<image> a helmet"}]
    assert _fate(SpecialTokens(), stray_image)[1] == "special_tokens"


def test_language_of_every_turn() -> None:
    french = [
        *GOOD[:3],
        {
            "role": "assistant",
            "content": "C'est le drapeau des États-Unis, rouge, blanc et bleu, accroché au mur.",
        },
    ]
    sample, reason = _fate(TurnLanguage(languages=["en"]), french)
    assert reason == "wrong_language" and "fr" in sample.fields["turn_language"]
    assert _fate(TurnLanguage(languages=["en"]), GOOD)[1] is None
    assert _fate(TurnLanguage(languages=["en", "fr"]), french)[1] is None


def test_language_is_not_judged_on_signs_or_formulas() -> None:
    """HoneyPipe on synthetic data: an OCR transcription of signs was "pt" and a LaTeX answer
    "ca"/"fr" to langdetect; neither holds prose a language can be told from."""
    ocr = [
        {"role": "user", "content": "<image>\nTranscribe every sign in the picture."},
        {"role": "assistant", "content": "EXIT / FRESH FRUIT / NO PARKING"},
    ]
    latex = [
        {"role": "user", "content": "<image>\nFind the area of the circle."},
        {
            "role": "assistant",
            "content": r"\text{Area} = \pi r^2 = \pi \cdot 6^2 \approx 113.10 \text{ cm}^2",
        },
        {"role": "user", "content": "And the distance from the chord to the centre?"},
        {
            "role": "assistant",
            "content": r"d = \sqrt{r^{2} - \left(\frac{c}{2}\right)^{2}} = \sqrt{36 - 9} \approx 5.20",
        },
    ]
    op = TurnLanguage(languages=["en"])
    for messages in (ocr, latex):
        sample, reason = _fate(op, messages)
        assert reason is None, sample.fields["turn_language"]
        assert set(sample.fields["turn_language"]) == {"en"}  # only the questions judged
    # prose beside a formula is still judged
    mixed = [
        {
            "role": "user",
            "content": "<image>\nQuelle est l'aire du cercle dessiné sur la feuille ?",
        },
        {
            "role": "assistant",
            "content": r"L'aire vaut $\pi r^2$, donc environ cent treize centimètres carrés.",
        },
    ]
    assert _fate(op, mixed)[1] == "wrong_language"


def test_image_quality(tmp_path: Path) -> None:
    photo = distinct_photos(1)[0]
    photo.save(tmp_path / "ok.jpg")
    Image.new("RGB", (200, 150), (128, 128, 128)).save(tmp_path / "blank.png")
    photo.resize((640, 40)).save(tmp_path / "strip.jpg")
    photo.resize((20, 16)).save(tmp_path / "tiny.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff nothing")
    op = ImageQuality(min_side=32, max_aspect=10, min_std=4)
    fates = {}
    for name in ("ok.jpg", "blank.png", "strip.jpg", "tiny.png", "broken.jpg"):
        sample = Sample(id=name, images=[ImageRef(path=str(tmp_path / name))])
        op.process_batch([sample])
        fates[name] = sample.rejection.reason if sample.rejection else None
    assert fates == {
        "ok.jpg": None,
        "blank.png": "near_blank",
        "strip.jpg": "extreme_aspect",
        "tiny.png": "too_small",
        "broken.jpg": "unreadable_image",
    }


def test_special_tokens_allowed_as_data() -> None:
    grounding = [
        GOOD[0],
        {"role": "assistant", "content": "<ref>the helmet</ref><box>(1,2),(3,4)</box>"},
    ]
    assert _fate(SpecialTokens(), grounding)[1] == "special_tokens"
    assert _fate(SpecialTokens(allow=["<ref>", "</ref>", "<box>", "</box>"]), grounding)[1] is None
