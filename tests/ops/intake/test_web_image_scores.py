"""Web-image quality scorers: each measures what it says on real pixels, stores the worst
image of a sample, caches by image content in the run's state, and leaves thresholds to
``score_gate``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from mmrecipe.context import OpContext
from mmrecipe.experts.embstore import write_vectors
from mmrecipe.registry import build_op
from mmrecipe.sample import ImageRef, Sample
from mmrecipe.state import StateStore


def _photo(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A textured, photo-like image: smooth gradients plus detail."""
    rng = np.random.default_rng(seed)
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h)], axis=-1)
    noise = rng.normal(0, 40, (h, w, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def _ref(path: Path, im: Image.Image) -> ImageRef:
    im.save(path)
    return ImageRef(path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def _ctx(tmp_path: Path) -> OpContext:
    return OpContext(run_dir=tmp_path, state=StateStore(tmp_path / "state" / "state.sqlite"))


def test_blur_score_ranks_sharp_above_blurred_and_stores_the_worst(tmp_path: Path) -> None:
    sharp = _photo(0)
    refs = {
        "sharp": _ref(tmp_path / "sharp.png", sharp),
        "soft": _ref(tmp_path / "soft.png", sharp.filter(ImageFilter.GaussianBlur(2))),
        "big_sharp": _ref(
            tmp_path / "big.png", sharp.resize((1280, 960), Image.Resampling.NEAREST)
        ),
    }
    op = build_op("blur_score", "blur", {})
    op.setup(_ctx(tmp_path))
    samples = [Sample(id=k, images=[r]) for k, r in refs.items()]
    samples.append(Sample(id="both", images=[refs["sharp"], refs["soft"]]))
    samples.append(Sample(id="broken", images=[ImageRef(path=str(tmp_path / "missing.png"))]))
    out = {s.id: s for s in op.process_batch(samples)}
    var = {k: s.scores.get("blur_laplacian_var") for k, s in out.items()}
    assert var["sharp"] > 5 * var["soft"]
    assert var["both"] == var["soft"]  # a sample is as blurry as its blurriest image
    assert var["big_sharp"] > var["soft"]  # measured at one scale: big is not "sharper" by size
    assert out["broken"].rejection.reason == "unreadable_image"


def test_entropy_score_flags_flat_fills(tmp_path: Path) -> None:
    refs = {
        "photo": _ref(tmp_path / "photo.png", _photo(1)),
        "flat": _ref(tmp_path / "flat.png", Image.new("RGB", (200, 100), (30, 120, 200))),
        "page": _ref(tmp_path / "page.png", Image.new("RGB", (200, 300), "white")),
    }
    ImageDraw.Draw(im := Image.open(refs["page"].path).convert("RGB")).text(
        (20, 20), "a few words", fill="black"
    )
    refs["page"] = _ref(tmp_path / "page2.png", im)
    op = build_op("entropy_score", "info", {})
    op.setup(_ctx(tmp_path))
    out = {
        s.id: s.scores
        for s in op.process_batch([Sample(id=k, images=[r]) for k, r in refs.items()])
    }
    assert out["flat"] == {"info_entropy": 0.0, "info_dominant_share": 1.0}
    assert out["photo"]["info_entropy"] > 6 and out["photo"]["info_dominant_share"] < 0.05
    assert out["page"]["info_dominant_share"] > 0.95 and out["page"]["info_entropy"] < 1


def test_scores_are_cached_by_image_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _ref(tmp_path / "a.png", _photo(2))
    ctx = _ctx(tmp_path)
    calls = []
    from mmrecipe.ops.intake import blur_score

    real = blur_score.laplacian_variance
    monkeypatch.setattr(blur_score, "laplacian_variance", lambda g: calls.append(1) or real(g))
    first = build_op("blur_score", "blur", {})
    first.setup(ctx)
    a = first.process_batch([Sample(id="a", images=[ref])])[0].scores
    again = build_op("blur_score", "blur", {})
    again.setup(ctx)
    b = again.process_batch([Sample(id="b", images=[ref])])[0].scores
    assert a == b and len(calls) == 1
    other = build_op("blur_score", "blur", {"long_side": 256})  # another setting: measured anew
    other.setup(ctx)
    other.process_batch([Sample(id="c", images=[ref])])
    assert len(calls) == 2


def test_text_overlay_score_reads_a_burned_in_watermark(tmp_path: Path) -> None:
    pytest.importorskip("tesserocr")
    from mmrecipe.synth.render import pil_font

    clean = Image.new("RGB", (480, 320), (90, 140, 90))
    marked = clean.copy()
    ImageDraw.Draw(marked).text(
        (250, 280), "STOCKPHOTO", font=pil_font("sans-bold", 26), fill="white"
    )
    refs = {
        "clean": _ref(tmp_path / "clean.png", clean),
        "marked": _ref(tmp_path / "marked.png", marked),
    }
    ctx = _ctx(tmp_path)
    ctx.backend_specs = {"ocr": {"type": "tesseract", "lang": "eng"}}
    op = build_op("text_overlay_score", "overlay", {"backend": "ocr"})
    op.setup(ctx)
    out = {
        s.id: s.scores
        for s in op.process_batch([Sample(id=k, images=[r]) for k, r in refs.items()])
    }
    assert out["clean"] == {
        "overlay_text_area": 0.0,
        "overlay_border_text_area": 0.0,
        "overlay_words": 0.0,
    }
    assert out["marked"]["overlay_words"] >= 1
    assert 0 < out["marked"]["overlay_border_text_area"] <= out["marked"]["overlay_text_area"] < 0.1


def test_classifier_score_stores_the_backends_probability(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from mmrecipe.testing.tiny_experts import CLASSES, build_tiny_classifier

    folder = build_tiny_classifier(tmp_path / "clf")
    ctx = _ctx(tmp_path)
    ctx.backend_specs = {
        "clf": {"type": "tagger", "model": str(folder), "device": "cpu", "top_k": 1}
    }
    ref = _ref(tmp_path / "p.png", _photo(3))
    op = build_op("classifier_score", "nsfw", {"backend": "clf", "label": CLASSES[2]})
    op.setup(ctx)
    score = op.process_batch([Sample(id="p", images=[ref])])[0].scores[f"nsfw_{CLASSES[2]}"]
    backend = ctx.backend("clf")
    own = backend.tag([backend.open_image(ref)], top_k=len(CLASSES), threshold=0.0)[0]
    assert score == pytest.approx(next(t["score"] for t in own if t["tag"] == CLASSES[2]), abs=1e-4)
    with pytest.raises(Exception, match="no class 'unicorn'"):
        bad = build_op("classifier_score", "bad", {"backend": "clf", "label": "unicorn"})
        bad.setup(ctx)


def test_aesthetic_head_fits_own_ratings_saves_and_is_reused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    dim, n = 16, 60
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    true_w = rng.normal(size=dim)
    ratings = 5 + vectors @ true_w * 0.5 + rng.normal(0, 0.1, n)
    ids = [f"s{i}" for i in range(n)]
    refs = write_vectors(tmp_path, "embed", "image", ids, vectors)
    samples = []
    for i, (sid, ref) in enumerate(zip(ids, refs, strict=True)):
        sample = Sample(id=sid)
        sample.fields["image_embedding"] = ref
        if i < 40:  # the user rated two thirds
            sample.fields["aesthetic_rating"] = round(float(ratings[i]), 2)
        samples.append(sample)
    ctx = _ctx(tmp_path)
    op = build_op("aesthetic_score", "aesthetic", {})
    op.setup(ctx)
    op.fit(samples)
    out = op.process_batch(samples)
    predicted = np.array([s.scores["aesthetic"] for s in out])
    held_out = slice(40, None)
    assert np.corrcoef(predicted[held_out], ratings[held_out])[0, 1] > 0.9
    assert (tmp_path / "models" / "aesthetic.npz").is_file()
    report = (tmp_path / "models" / "aesthetic.json").read_text()
    assert '"labeled": 40' in report
    reuse = build_op(
        "aesthetic_score", "aesthetic", {"model_path": str(tmp_path / "models" / "aesthetic.npz")}
    )
    reuse.setup(ctx)
    reuse.fit([])
    fresh = [
        Sample(id=s.id, fields={"image_embedding": s.fields["image_embedding"]}) for s in samples
    ]
    assert [s.scores["aesthetic"] for s in reuse.process_batch(fresh)] == list(predicted)
    few = build_op("aesthetic_score", "few", {"min_labeled": 100})
    few.setup(ctx)
    with pytest.raises(Exception, match="fitting needs 100"):
        few.fit(samples)
