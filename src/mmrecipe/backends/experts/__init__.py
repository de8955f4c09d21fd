# Vision-expert backends: detector, segmenter, tagger, embedder, image_to_text (one per type).
# Imported by backends/ (build_backend), ops/experts and testing/; never imports ops.
"""Vision experts as backends: detectors, segmenters, taggers, embedders, image-to-text models.

One backend type per family (``type:`` in a recipe's ``backends:``), each a transformers model
in this process, loaded once per worker, batched, on ``device: auto``:

| type | models | capabilities |
| --- | --- | --- |
| ``detector`` | OWLv2, OWL-ViT, Grounding DINO (open vocabulary); DETR, RT-DETR, ... (closed set) | ``detection``, ``open_vocabulary`` |
| ``segmenter`` | SAM (box or point prompts, called directly: no torchvision) | ``segmentation`` |
| ``tagger`` | a multi-label image classifier, or CLIP/SigLIP zero-shot over a tag list | ``tagging`` |
| ``embedder`` | CLIP, SigLIP, SigLIP2 (images and texts in one space) | ``image_embedding``, ``text_embedding`` |
| ``image_to_text`` | BLIP, BLIP-2, Florence-2 (``<CAPTION>``, ``<OCR>``, ``<OD>``), TrOCR | ``caption``, ``ocr``, ``detection`` |

Each type declares its accepted settings as a pydantic model (``Backend.Settings``), so a
recipe's backend entry is validated per type before anything loads.
"""

from __future__ import annotations

#: backend type -> "module:Class" (registered in ``mmrecipe.backends.BACKEND_TYPES``)
EXPERT_TYPES: dict[str, str] = {
    "detector": "mmrecipe.backends.experts.detector:DetectorBackend",
    "segmenter": "mmrecipe.backends.experts.segmenter:SegmenterBackend",
    "tagger": "mmrecipe.backends.experts.tagger:TaggerBackend",
    "embedder": "mmrecipe.backends.experts.embedder:EmbedderBackend",
    "image_to_text": "mmrecipe.backends.experts.image_to_text:ImageToTextBackend",
}


def settings_model(backend_type: str) -> type:
    """The pydantic model of an expert type's settings (``model``, ``device``, ...), imported
    without torch: for validating a recipe's ``backends:`` entry before anything loads."""
    import importlib

    module_name, _, cls_name = EXPERT_TYPES[backend_type].partition(":")
    return getattr(importlib.import_module(module_name), cls_name).Settings
