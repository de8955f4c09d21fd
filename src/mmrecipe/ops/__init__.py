# Ops, one per module, grouped by family in the sub-packages below (module name = registry name).
# Imported by the registry (which walks every sub-package), the executor, tests and plugins.
"""Ops: one module per op, module name = registry name, grouped by family.

The registry walks every sub-package (``mmrecipe.registry.discover``), so where an op lives
never changes its registry name and recipes never change. Families follow the README's
sections; a family package also holds the prompts, parsers and helpers only it uses. What
several families share sits outside them: ``ops/base.py`` (op kinds), ``ops/judge.py`` (the
``[[k]]`` judge base), :mod:`mmrecipe.prompted`, :mod:`mmrecipe.replies`,
:mod:`mmrecipe.experts` (box geometry, vector files, expert-backend helpers) and
:mod:`mmrecipe.curation` (perceptual hashes, text similarity, turn readers).

Map (README section -> package: ops; + helpers):

- Image intake and dedup -> ``intake/``: image_intake, exact_dedup, near_dedup, semantic_dedup,
  image_quality; + ``semdedup`` (SemDeDup clustering)
- Generation and judging -> ``generation/``: vlm_generate, qa_generate, mmevol,
  ocr_support_check (LLaVAR's answer check); + ``qa`` (QA replies -> turns), ``mmevol_prompts``
- Oasis -> ``oasis/``: oasis_hook, oasis_categorize, oasis_solvability, oasis_clarity,
  oasis_hallucination, oasis_nonsense, oasis_quality_gate, oasis_response_score,
  caption_screen, caption_refine, caption_pair; + ``prompts``, ``parsing``
- Synthesis -> ``synthesis/``: synth_chart, synth_document, synth_formula, synth_geometry,
  synth_interleaved, synth_table, synth_stem, synth_caption, synth_mix, synth_verify,
  synth_rewrite (R-CoT's LLM stage; reads replies with ``generation/qa``'s JSON parser),
  synth_scene_text, synth_multilingual_document, scene_text_on_images (text on the user's
  photos), text_region_consensus (TextSSR-style read-back), visual_search_traces and
  jigsaw_traces (ThinkMorph on the user's photos) (generators: :mod:`mmrecipe.synth`)
- HoneyPipe and curation -> ``curation/``: qa_judge, cot_triage, cot_generate, cot_fidelity,
  domain_label, llm_quality_score, mixture, fasttext_filter, text_length, turn_structure,
  turn_length, turn_repetition, turn_language, special_tokens; CoMM filters
  image_consistency, image_text_alignment, text_coherence; + ``honeypipe/`` (prompts,
  parsing, fields), ``interleaved`` (CoMM document helpers)
- Generating from annotations -> ``annotations/``: annotation_context, grounding_qa;
  + ``boxes`` (box conventions), ``context`` (annotations as prompt text)
- Vision experts -> ``experts/``: detect_objects, segment_regions, tag_image, image_to_text,
  embed, clip_score, ocr, expert_consensus, textualize_facts, region_qa; + ``consensus``,
  ``textualize``
- Image generation and editing -> ``imagegen/``: generate_image, edit_instructions,
  edit_image, edit_verify, refer_object, contrast_captions, clip_pair_rank; + ``asking``,
  ``instructions``, ``opsupport``, ``support``, ``verify``
- Flow control -> ``flow/``: fan_out, join_branch, set_fields, score_gate
- Video and multi-image -> ``video/``: video_intake, sample_frames, video_near_dedup,
  differential_captions, caption_conversation, video_qa_turns, motion_pairs, motion_verify,
  frame_order, spot_difference, image_group (helpers: :mod:`mmrecipe.video`; the video
  hook's family check: ``backends/video_hook.py``)

``qa_judge`` is HoneyPipe's QA filter and reads only HoneyPipe's prompts, so it sits in
``curation/`` beside them. A family imports the shared layer and itself, never another family.
"""
