"""Source op: multilingual sign text on the bundled photos (scene text's offline default)."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_scene_text")
class SynthSceneText(SynthSourceOp):
    """Synthesize sign text in several languages and scripts on scikit-image's bundled photos
    (no input needed); ``scene_text_on_images`` does the same on your photos.

    Args:
        num_samples: how many samples to make
        seed: base seed; sample i depends only on (seed, i) and the other params
        difficulty: 1 (one large line) to 3 (two or three small lines, blur, noise)
        languages: language -> ratio (or a list: equal ratios); en fr ru ar hi zh ja
        tasks: subset of ocr, text_at_box, grounded_ocr, language
        max_detail: mean gradient magnitude a region may have for painted text (plates: 1.5x)
        max_edge_density: share of edge pixels a region may have (plates: 1.5x)
        min_contrast: WCAG contrast ratio of painted text against its region
        plate_ratio: share of texts on a sign plate
        font_dirs: folders searched for fonts (default: MMRECIPE_FONT_DIRS, else the system's)
    """

    generator_kind = "scene_text"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        languages: dict[str, float] | list[str] | None = None,
        tasks: list[str] | None = None,
        max_detail: float = 8.0,
        max_edge_density: float = 0.04,
        min_contrast: float = 4.5,
        plate_ratio: float = 0.5,
        font_dirs: list[str] | None = None,
    ) -> None:
        options = {
            "languages": languages,
            "tasks": tasks,
            "max_detail": max_detail,
            "max_edge_density": max_edge_density,
            "min_contrast": min_contrast,
            "plate_ratio": plate_ratio,
            "font_dirs": font_dirs,
        }
        super().__init__(num_samples, seed, difficulty, options)
        self.generator(self.generator_kind)  # fonts and options checked now, not at item 0
