"""Length statistics and the word splitter they rely on."""

from __future__ import annotations

import math

from mmrecipe.analysis.lengths import LengthDistribution
from mmrecipe.analysis.text import instruction_and_response, words


def test_mean_std_and_histogram() -> None:
    dist = LengthDistribution()
    for n in [1, 2, 3, 4] * 25 + [10_000]:  # one huge outlier
        dist.add(n)
    out = dist.result()
    values = [1, 2, 3, 4] * 25 + [10_000]
    mean = sum(values) / len(values)
    assert out["count"] == 101 and math.isclose(out["mean"], mean, abs_tol=1e-4)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    assert math.isclose(out["std"], std, abs_tol=1e-4)
    hist = out["histogram"]
    assert len(hist["bins"]) == len(hist["counts"]) + 1 and sum(hist["counts"]) == 101
    assert hist["counts"][-1] == 1 and hist["bins"][-1] == 10_001  # the tail bin
    assert hist["bins"][-2] <= 5  # the bulk is not squashed by the outlier


def test_words_count_cjk_characters_and_keep_apostrophes() -> None:
    assert words("Don't describe the image!") == ["Don't", "describe", "the", "image"]
    assert words("这张图片 shows 3 cats") == ["这", "张", "图", "片", "shows", "3", "cats"]
    assert words("Décrivez l'image, s'il vous plaît.") == [
        "Décrivez",
        "l'image",
        "s'il",
        "vous",
        "plaît",
    ]


def test_instruction_and_response_extraction() -> None:
    rec = {
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {
                "role": "user",
                "content": [{"type": "image"}, {"type": "text", "text": "<image>\nWhat is this?"}],
            },
            {"role": "assistant", "content": "A cat."},
            {"role": "user", "content": "And the color?"},
            {"role": "assistant", "content": "Black."},
        ]
    }
    assert instruction_and_response(rec) == ("What is this?", "A cat.")
    assert instruction_and_response({"messages": []}) == (None, None)
