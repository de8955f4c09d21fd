# Annotations family: annotations as prompt text (annotation_context) and grounding_qa.
# Imported by the registry's discovery and tests; boxes/context are this family's own helpers.
"""Generating from annotations: what is known about an image (captions, boxes, OCR, tags) as
readable prompt text (``annotation_context``) and exact box conventions (``grounding_qa``).

Used by the LLaVA-Instruct, CapsFusion, ALLaVA, LLaVAR and Qwen-VL grounding recipes; the QA
replies those prompts ask for are read by ``ops/generation/qa.py``.
"""
