"""``recipes/web-image-filter.yaml`` end to end: blurred, flat and watermarked web images are
rejected by the gate with their scores stored, and re-thresholding the finished run measures
no image again (scores come from the run's cache)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from mmrecipe.testing.recipe_runs import records, run_recipe


def _photo(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:240, 0:320]
    base = np.stack([x * 0.8, y, (x + y) * 0.4], axis=-1) + rng.normal(0, 40, (240, 320, 3))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def test_web_image_filter_rejects_and_rethresholds_for_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tesserocr")
    from mmrecipe.ops.intake import blur_score
    from mmrecipe.synth.render import pil_font

    folder = tmp_path / "imgs"
    folder.mkdir()
    _photo(0).save(folder / "good.png")
    _photo(1).filter(ImageFilter.GaussianBlur(3)).save(folder / "blurred.png")
    Image.new("RGB", (320, 240), (250, 250, 250)).save(folder / "flat.png")
    marked = _photo(2)
    draw = ImageDraw.Draw(marked)
    draw.rectangle((150, 200, 318, 236), fill=(20, 20, 20))
    draw.text((156, 204), "WATERMARK", font=pil_font("sans-bold", 24), fill="white")
    marked.save(folder / "marked.png")

    calls: list[int] = []
    real = blur_score.laplacian_variance
    monkeypatch.setattr(blur_score, "laplacian_variance", lambda g: calls.append(1) or real(g))
    run_dir = tmp_path / "run"
    run_recipe("web-image-filter.yaml", run_dir, "--input", str(folder))
    rejects = {Path(r["images"][0]["path"]).stem: r for r in records(run_dir, "rejects")}
    kept = {Path(s["images"][0]["path"]).stem: s for s in records(run_dir, "samples")}
    assert set(kept) == {"good"}
    assert {k: r["reason"] for k, r in rejects.items()} == {
        "blurred": "low_blur_laplacian_var",
        "flat": "low_blur_laplacian_var",  # the first failure; every one is in the detail
        "marked": "high_overlay_border_text_area",
    }
    assert "info_entropy 0 < 3" in rejects["flat"]["detail"]
    assert "info_dominant_share 1 > 0.9" in rejects["flat"]["detail"]
    assert rejects["marked"]["scores"]["overlay_words"] >= 1
    measured = len(calls)
    assert measured == 4

    # a looser blur threshold: the blurred image comes back, nothing is measured again
    looser = ["--set", "ops.gate.minimums.blur_laplacian_var=1"]
    run_recipe("web-image-filter.yaml", run_dir, "--input", str(folder), *looser)
    kept = {Path(s["images"][0]["path"]).stem for s in records(run_dir, "samples")}
    assert kept == {"good", "blurred"}
    assert len(calls) == measured
