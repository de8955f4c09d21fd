# Multilingual scene text and documents: fonts per script, per-language grammars, placement on
# photos, pages/forms/tables. Imported by ops/synthesis and tests; imports only synth's base.
"""Scene text and documents in many languages (Qianfan-VL's OCR data, TextSSR): fonts found on
the host per script (``fonts``), small per-language grammars (``languages``, ``grammar_data``),
placement on flat photo regions (``placement``), signs on photos (``scene_text*``) and pages,
forms and merged-cell tables (``ml_*``, ``doc_layout``). Importing the package registers the
``scene_text`` and ``multilingual_document`` generators."""

from mmrecipe.synth.multilingual import ml_document, scene_text_gen

__all__ = ["ml_document", "scene_text_gen"]
