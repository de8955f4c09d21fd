# Magpie family: text-only instruction synthesis from an LLM's pre-query template, its seeds,
# text-only quality judges and their rubrics. Only this family imports its prompts module.
"""Magpie ("Alignment Data Synthesis from Scratch by Prompting Aligned LLMs with Nothing").

``magpie_seed`` (language per sample) -> ``magpie_hook`` (the LLM writes the instruction from
its template's pre-query prefix alone) -> ``magpie_clarity`` / ``magpie_solvability`` /
``magpie_nonsense`` -> ``oasis_quality_gate`` -> ``vlm_generate`` (the answer, text only).
``recipes/magpie.yaml`` wires them.
"""
