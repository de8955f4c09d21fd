"""Source op: multilingual pages, forms and merged-cell tables with every line's box."""

from __future__ import annotations

from typing import Literal

from mmrecipe.registry import register_op
from mmrecipe.synth.source_op import SynthSourceOp


@register_op("synth_multilingual_document")
class SynthMultilingualDocument(SynthSourceOp):
    """Synthesize documents per language (text from each language's grammar, Noto fonts,
    shaped; Arabic right to left): pages with key-value lines, filled-in forms, tables with
    row- and column-merged cells.

    Args:
        num_samples: how many samples to make
        seed: base seed; sample i depends only on (seed, i) and the other params
        difficulty: 1 (large clean type) to 3 (small type, blur, noise)
        languages: language -> ratio (or a list: equal ratios); en fr ru ar hi zh ja
        modes: subset of page, form, table
        tasks: subset of ocr, read_field, key_values, table_html, cell_value, merged_span
        font_dirs: folders searched for fonts (default: MMRECIPE_FONT_DIRS, else the system's)
    """

    generator_kind = "multilingual_document"

    def __init__(
        self,
        num_samples: int = 1000,
        seed: int = 0,
        difficulty: Literal[1, 2, 3] = 1,
        languages: dict[str, float] | list[str] | None = None,
        modes: list[str] | None = None,
        tasks: list[str] | None = None,
        font_dirs: list[str] | None = None,
    ) -> None:
        options = {"languages": languages, "modes": modes, "tasks": tasks, "font_dirs": font_dirs}
        super().__init__(num_samples, seed, difficulty, options)
        self.generator(self.generator_kind)  # fonts and options checked now, not at item 0
