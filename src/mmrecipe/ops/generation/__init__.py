# Generation family: MLLM/LLM calls that write new text (captions, QA, evolutions, checks).
# Imported by the registry's discovery only; its helpers (qa, mmevol_prompts) by this family.
