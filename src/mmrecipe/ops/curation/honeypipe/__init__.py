# HoneyPipe helpers: the prompts, reply parsers and field filling of the HoneyPipe ops.
# Imported by ops/curation (qa_judge, cot_*, domain_label, llm_quality_score) and tests only.
"""HoneyPipe (Bee-8B): curation of existing VQA data with verified chain-of-thought enrichment."""
