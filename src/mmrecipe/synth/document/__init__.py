# The document / scene-text generator: pages and signs rendered with known word boxes.
# Imported by synth/ (generator registry), ops/synthesis and tests; never imports ops.
"""Document pages and scene text: text rendered where every word's box is known.

Two modes. ``page``: a paper-like page with a title, key-value fields and paragraphs.
``scene``: short sign-like lines pasted onto scikit-image's bundled sample photos (offline).
Fonts are matplotlib's bundled DejaVu / STIX files; difficulty adds smaller type, rotation,
blur and noise. Word boxes (pixels, axis-aligned ``bbox`` plus the rotated ``quad``) go to
``fields.words``; the ground truth keeps the lines, fields and words, so
:meth:`DocumentGenerator.verify` re-derives OCR, field-reading, word-at-box and grounded-OCR
answers.

Layout: ``page`` and ``scene`` (the two modes), ``words`` (word boxes and degradation both
share), ``questions`` (tasks and answers) and ``generator`` (the registered ``document`` kind).
"""

from mmrecipe.synth.document.generator import DocumentGenerator
from mmrecipe.synth.document.questions import MODES, TASKS, derive_answer
from mmrecipe.synth.document.scene import _FLAT_MAX, PHOTOS, _photo, faces

__all__ = [
    "MODES",
    "PHOTOS",
    "TASKS",
    "_FLAT_MAX",
    "DocumentGenerator",
    "_photo",
    "derive_answer",
    "faces",
]
