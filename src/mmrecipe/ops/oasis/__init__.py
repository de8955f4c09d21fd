# Oasis family: the Oasis ops (hook, categorize, judges, gate, captions) with their prompts/parsers.
# Imported by the registry's discovery and tests; only this family imports prompts and parsing.
"""Oasis ("One Image is All You Need"): the Oasis ops with their prompts and reply parsers.

One op per module: ``oasis_hook`` -> ``oasis_categorize`` -> ``oasis_solvability`` /
``oasis_clarity`` / ``oasis_hallucination`` / ``oasis_nonsense`` -> ``oasis_quality_gate`` ->
``vlm_generate`` (respond; in ``ops/generation``), with the caption recycling branch
``caption_screen`` -> ``caption_refine`` -> ``caption_pair`` and the response-QC ablations
(``vlm_generate`` with ``select: lowest_nll``, ``oasis_response_score``).
``recipes/oasis.yaml`` wires them with the paper's values.
"""
