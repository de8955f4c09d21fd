"""near_dedup: the survivor rule, the reject detail, the pair rule and its image/text modes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.ops.intake.near_dedup import NearDedup
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.testing.variants import distinct_photos, variants


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("photos")
    a, b = distinct_photos(2)
    copies = variants(a, np.random.default_rng(0))
    out = {"a": a, "b": b, "a_small": copies["resized"], "a_crop": copies["cropped"]}
    paths = {}
    for name, im in out.items():
        paths[name] = str(folder / f"{name}.jpg")
        im.save(paths[name], quality=90)
    return paths


def _sample(sid: str, path: str, question: str) -> Sample:
    with Image.open(path) as im:
        w, h = im.size
    return Sample(
        id=sid,
        images=[ImageRef(path=path, width=w, height=h)],
        messages=[
            {"role": "user", "content": f"<image>\n{question}"},
            {"role": "assistant", "content": "An answer."},
        ],
    )


def _run(op: NearDedup, samples: list[Sample]) -> dict[str, tuple[str, str] | None]:
    op.fit(iter(samples))
    done = op.process_batch(samples)
    return {
        s.id: (s.rejection.reason, s.rejection.detail or "") if s.rejection else None for s in done
    }


Q = "What is the man holding in his right hand?"


def test_pair_rule(files: dict[str, str]) -> None:
    samples = [
        _sample("small", files["a_small"], Q),  # first in order, fewer pixels
        _sample("orig", files["a"], Q),
        _sample("crop", files["a_crop"], Q.replace("man", "person")),
        _sample("new_q", files["a"], "How many windows does the building have?"),
        _sample("other", files["b"], Q),  # same question, different photo
    ]
    fate = _run(NearDedup(mode="pair", text_threshold=0.5), samples)
    assert fate["orig"] is None and fate["new_q"] is None and fate["other"] is None
    for sid in ("small", "crop"):
        reason, detail = fate[sid]
        assert reason == "near_duplicate"
        assert "near-duplicate of orig" in detail and "image distance" in detail
        assert f"(image {files['a']})" in detail  # the survivor's image, not only its id


def test_pair_rule_numbers_make_different_questions(files: dict[str, str]) -> None:
    """A synthetic geometry template on one figure: radius 6 and radius 15 are two questions
    (HoneyPipe dropped one as a near-duplicate at instruction similarity 0.80)."""
    template = (
        "A circle has radius {r} and a chord of length {c}. How far is the chord from the center?"
    )

    def samples() -> list[Sample]:
        return [
            _sample("r6", files["a"], template.format(r=6, c=6)),
            _sample("r15", files["a_small"], template.format(r=15, c=20)),
            _sample("r6_again", files["a_small"], template.format(r=6, c=6)),
        ]

    fate = _run(NearDedup(mode="pair", text_threshold=0.5), samples())
    assert fate["r6"] is None and fate["r15"] is None
    assert fate["r6_again"][0] == "near_duplicate"  # same numbers: still a duplicate
    same = _run(NearDedup(mode="pair", text_threshold=0.5, numbers_must_match=False), samples())
    assert same["r15"] is not None  # the old rule: one of them dropped


def test_image_and_text_modes(files: dict[str, str]) -> None:
    def samples() -> list[Sample]:
        return [
            _sample("x", files["a"], Q),
            _sample("y", files["a_small"], "How many windows does the building have?"),
            _sample("z", files["b"], Q),
        ]

    image = _run(NearDedup(mode="image"), samples())
    assert image == {"x": None, "y": image["y"], "z": None}
    assert image["y"][0] == "near_duplicate"
    text = _run(NearDedup(mode="text", text_method="simhash"), samples())
    assert text["x"] is None and text["y"] is None and text["z"][0] == "near_duplicate"


def test_ties_go_to_the_first_and_unreadable_images_are_rejects(
    files: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    samples = [
        _sample("first", files["a"], Q),
        _sample("second", files["a"], Q),
        Sample(id="bad", images=[ImageRef(path=str(bad))], messages=[]),
    ]
    fate = _run(NearDedup(mode="image"), samples)
    assert fate["first"] is None
    assert fate["second"][0] == "near_duplicate" and "of first" in fate["second"][1]
    assert fate["bad"][0] == "unhashable_image"


def test_without_crop_views_crops_are_new_images(files: dict[str, str]) -> None:
    samples = [_sample("orig", files["a"], Q), _sample("small", files["a_small"], Q)]
    fate = _run(NearDedup(mode="image", crop_views=False), samples)
    assert fate["orig"] is None and fate["small"][0] == "near_duplicate"
