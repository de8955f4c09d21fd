# Synthesis family: source ops over mmrecipe.synth's generators, synth_verify and synth_rewrite,
# and scene text on the user's images (scene_text_on_images, text_region_consensus).
# Imported by the registry's discovery only (and tests); it imports mmrecipe.synth.
