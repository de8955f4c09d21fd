"""Generating from annotations: what is known about an image (captions, boxes, OCR, tags) as
readable prompt text, coordinate conventions, and structured QA answers turned into turns.

Used by the LLaVA-Instruct, CapsFusion, ALLaVA, LLaVAR, Qwen-VL grounding and MMEvol recipes.
"""
