"""Oasis ("One Image is All You Need"): the prompts and reply parsers behind the Oasis ops.

The ops themselves live in ``mmrecipe.ops`` (one per module): ``oasis_hook`` ->
``oasis_categorize`` -> ``oasis_solvability`` / ``oasis_clarity`` / ``oasis_hallucination`` /
``oasis_nonsense`` -> ``oasis_quality_gate`` -> ``vlm_generate`` (respond), with the caption
recycling branch ``caption_screen`` -> ``caption_refine`` -> ``caption_pair`` and the response-QC
ablations (``vlm_generate`` with ``select: lowest_nll``, ``oasis_response_score``).
``recipes/oasis.yaml`` wires them with the paper's values.
"""
