# Synthesis family: source ops over mmrecipe.synth's generators, and synth_verify.
# Imported by the registry's discovery only (and tests); it imports mmrecipe.synth.
