# Synthesis family: source ops over mmrecipe.synth's generators, synth_verify and synth_rewrite.
# Imported by the registry's discovery only (and tests); it imports mmrecipe.synth.
