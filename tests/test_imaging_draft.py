"""check_image(draft=True): the reduced decode is only for hashing; a JPEG that must be
re-encoded (bytes after its end) is still re-encoded from its full pixels."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmrecipe.imaging import ImageRejected, Limits, check_image
from mmrecipe.testing.variants import distinct_photos


def test_draft_gives_a_small_grey_decode_and_full_size(tmp_path: Path) -> None:
    path = tmp_path / "p.jpg"
    distinct_photos(1)[0].save(path, quality=90)
    checked = check_image(path, Limits(), draft=True)
    assert (checked.width, checked.height) == (640, 480) and checked.normalized is None
    assert checked.decoded is not None and checked.decoded.mode == "L"
    assert checked.decoded.size[0] <= 160


def test_trailing_data_is_reencoded_from_full_pixels(tmp_path: Path) -> None:
    path = tmp_path / "polyglot.jpg"
    distinct_photos(1)[0].save(path, quality=90)
    path.write_bytes(path.read_bytes() + b"PK\x03\x04 a zip file")
    checked = check_image(path, Limits(), draft=True)
    assert checked.normalized is not None
    assert checked.normalized.size == (640, 480) and checked.normalized.mode == "RGB"


def test_truncation_is_caught_in_draft_mode(tmp_path: Path) -> None:
    path = tmp_path / "cut.jpg"
    distinct_photos(1)[0].save(path, quality=90)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImageRejected) as info:
        check_image(path, Limits(), draft=True)
    assert info.value.reason == "truncated"
